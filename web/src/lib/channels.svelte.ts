import { api } from './api.svelte.js';
import { openFeed } from './feed.js';
import type { Channel, FeedMessage } from './types.js';

/** Every channel with its state, kept current by the live feed. */
export const live = $state({
  channels: [] as Channel[],
  connected: false,
  loaded: false,
  error: null as string | null,
});

type Listener = (m: FeedMessage) => void;
const listeners = new Set<Listener>();
let stopFeed: (() => void) | null = null;
const pending = new Map<string, ReturnType<typeof setTimeout>>();

export async function loadChannels(): Promise<void> {
  try {
    live.channels = await api<Channel[]>('GET', '/api/v1/channels');
    live.error = null;
  } catch (error) {
    live.error = (error as Error).message;
  }
  live.loaded = true;
}

export function channelById(id: string): Channel | undefined {
  return live.channels.find((c) => c.id === id);
}

/** Hears every feed message (pages that show history use it). */
export function onFeed(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** A state message carries status and title; viewers, thumbnail and live-since come with the channel. */
function refetchSoon(id: string): void {
  clearTimeout(pending.get(id));
  pending.set(
    id,
    setTimeout(() => {
      pending.delete(id);
      api<Channel>('GET', `/api/v1/channels/${encodeURIComponent(id)}`)
        .then((fresh) => {
          const i = live.channels.findIndex((c) => c.id === id);
          // A channel created elsewhere (or whose first probe beat our own create response) is added.
          if (i >= 0) live.channels[i] = fresh;
          else live.channels.push(fresh);
        })
        .catch(() => undefined);
    }, 250),
  );
}

function handle(m: FeedMessage): void {
  if (m.type === 'state') {
    const c = live.channels.find((x) => x.id === m.data.channelId);
    if (c) {
      c.status = m.data.status;
      c.title = m.data.title;
    }
    refetchSoon(m.data.channelId);
  } else if (m.type === 'event') {
    refetchSoon(m.data.channel.id);
  }
  for (const l of listeners) l(m);
}

export function startLive(): void {
  if (stopFeed) return;
  stopFeed = openFeed(handle, (connected) => {
    live.connected = connected;
    // Anything missed while disconnected is fetched again.
    if (connected) void loadChannels();
  });
}

export function stopLive(): void {
  stopFeed?.();
  stopFeed = null;
  live.connected = false;
}
