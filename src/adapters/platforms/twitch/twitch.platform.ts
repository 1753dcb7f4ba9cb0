import type { Channel, Observation } from '../../../core/model.js';
import type { PlatformAdapter } from '../../../ports/platform.js';
import { failed } from '../shared.js';
import { HELIX_BATCH, type TwitchApi } from './twitch-api.js';
import type { StreamWire } from './twitch.wire.js';

const LOGIN = /^[a-z0-9_]{1,25}$/i;

/** The login in `https://twitch.tv/<login>` (lowercase), or null when the URL is not a channel URL. */
export function twitchLogin(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return null;
  if (!isTwitchHost(parsed.hostname)) return null;
  const segments = parsed.pathname.split('/').filter((s) => s !== '');
  const login = segments[0];
  return segments.length === 1 && login !== undefined && LOGIN.test(login)
    ? login.toLowerCase()
    : null;
}

function isTwitchHost(host: string): boolean {
  return host === 'twitch.tv' || host === 'www.twitch.tv' || host === 'm.twitch.tv';
}

/** Maps a Helix stream to an observation; the category leads the tags, as the model has no category field. */
export function streamObservation(stream: StreamWire): Observation {
  const startedAt = stream.started_at === undefined ? NaN : Date.parse(stream.started_at);
  return {
    kind: 'live',
    title: stream.title ?? null,
    startedAt: Number.isFinite(startedAt) ? startedAt : null,
    tags: withCategory(stream.game_name ?? null, stream.tags ?? []),
    viewers: stream.viewer_count ?? null,
    thumbnail: stream.thumbnail_url
      ? stream.thumbnail_url.replace('{width}', '1280').replace('{height}', '720')
      : null,
    name: stream.user_name ?? null,
  };
}

export function withCategory(category: string | null, tags: readonly string[]): readonly string[] {
  return category ? [category, ...tags.filter((t) => t !== category)] : tags;
}

/**
 * Twitch by Helix Get Streams (PROTOCOLS.md §2.7): one request answers up to 100 channels, so the
 * poll loop probes due Twitch channels in batches. Without `twitch.clientId`/`clientSecret` in the
 * config every probe fails with a message saying so (never "offline").
 */
export class TwitchPlatform implements PlatformAdapter {
  readonly id = 'twitch';
  readonly maxBatch = HELIX_BATCH;
  private readonly api: TwitchApi | null;

  constructor(api: TwitchApi | null) {
    this.api = api;
  }

  validateUrl(url: string): string | null {
    return twitchLogin(url) === null
      ? 'must be a Twitch channel URL like https://twitch.tv/<login>'
      : null;
  }

  recognises(url: URL): boolean {
    return isTwitchHost(url.hostname);
  }

  async probe(channel: Channel, _hint: unknown, signal: AbortSignal): Promise<Observation> {
    const observations = await this.probeBatch([channel], signal);
    return observations.get(channel.id) ?? failed('Twitch probe returned nothing');
  }

  async probeBatch(
    channels: readonly Channel[],
    signal: AbortSignal,
  ): Promise<ReadonlyMap<string, Observation>> {
    const result = new Map<string, Observation>();
    if (!this.api) {
      for (const c of channels)
        result.set(
          c.id,
          failed('Twitch is not configured (twitch.clientId and twitch.clientSecret)', false),
        );
      return result;
    }
    const logins = new Map<string, string>();
    for (const c of channels) {
      const login = twitchLogin(c.url);
      if (login === null) result.set(c.id, failed('not a Twitch channel URL', false));
      else logins.set(c.id, login);
    }
    const streams = await this.api.streams([...new Set(logins.values())], signal);
    for (const [id, login] of logins) {
      if (!streams.ok) {
        result.set(id, failed(streams.error, streams.retryable));
        continue;
      }
      const stream = streams.value.get(login);
      result.set(id, stream ? streamObservation(stream) : { kind: 'offline' });
    }
    return result;
  }
}
