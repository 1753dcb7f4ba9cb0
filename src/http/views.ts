import type { PushStatus } from '../app/poll-loop.js';
import { channelStatus, type ChannelState, type Policy } from '../core/model.js';
import { redactUrl, redactUrlWithPath } from '../core/redact.js';
import { redactStreamUrl } from '../core/tokens/redact-path.js';
import { formatDuration, isoOrNull } from '../core/time.js';
import type { Notifier } from '../ports/notifier.js';
import type {
  Delivery,
  StoredChannel,
  StoredEvent,
  StoredTarget,
  Subscription,
} from '../ports/store.js';

/** API representations. Secrets never leave: URLs are redacted and secret options masked. */

const iso = isoOrNull;
const MASK = 'REDACTED';

/** Platforms whose channel URL is itself a stream URL, where CDNs put tokens in the path too. */
const STREAM_URL_PLATFORMS = new Set(['hls', 'flv']);

/**
 * A channel URL safe to show: secrets in user info and the query always go; for stream URLs,
 * token-looking path segments go too (a site URL like a Twitch login is left readable).
 */
function channelUrl(platform: string, url: string): string {
  return STREAM_URL_PLATFORMS.has(platform) ? redactStreamUrl(url) : redactUrl(url);
}

export function channelView(
  channel: StoredChannel,
  subscriptions: readonly Subscription[],
  state: ChannelState,
  policy: Policy,
  push: PushStatus | null = null,
) {
  return {
    id: channel.id,
    platform: channel.platform,
    url: channelUrl(channel.platform, channel.url),
    name: channel.name ?? state.platformName,
    interval: channel.intervalMs === null ? null : formatDuration(channel.intervalMs),
    notify: subscriptions.map((s) => ({ ...s.options, target: s.targetId, events: s.events })),
    webhookSecret: channel.options['webhookSecret'] === undefined ? undefined : MASK,
    source: channel.source,
    createdAt: iso(channel.createdAt),
    updatedAt: iso(channel.updatedAt),
    status: channelStatus(state, policy),
    title: state.title,
    tags: state.tags,
    viewers: state.viewers,
    thumbnail: state.thumbnail,
    liveSince: state.liveness === 'live' ? iso(state.liveSince) : null,
    offlineSince: state.liveness === 'offline' ? iso(state.offlineSince) : null,
    /**
     * While a dropped stream is in its reconnect grace: when the grace ends, so the `offline` is
     * announced at the first check from then on unless the stream comes back. Null otherwise,
     * and when the session's live was never announced (its offline is then suppressed).
     */
    offlineAnnounceAt:
      state.liveness === 'offline' &&
      !state.offlineAnnounced &&
      state.liveAnnounced &&
      state.offlineSince !== null
        ? iso(state.offlineSince + policy.reconnectGraceMs)
        : null,
    lastCheckedAt: iso(state.lastCheckedAt),
    lastError: state.lastError,
    consecutiveFailures: state.consecutiveFailures,
    /** Push coverage (Twitch EventSub): `push`, or `poll` with the reason; null when the platform has no push. */
    push,
  };
}

export function targetView(target: StoredTarget, notifier: Notifier | undefined) {
  const secret = new Set(notifier?.secretOptions ?? []);
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(target.options)) {
    options[key] = secret.has(key)
      ? MASK
      : key === 'url' && typeof value === 'string'
        ? redactUrlWithPath(value)
        : value;
  }
  return {
    ...options,
    id: target.id,
    type: target.type,
    source: target.source,
    createdAt: iso(target.createdAt),
  };
}

export function eventView(e: StoredEvent) {
  return {
    id: e.id,
    event: e.kind,
    channel: { ...e.channel, url: channelUrl(e.channel.platform, e.channel.url) },
    title: e.title,
    tags: e.tags,
    startedAt: iso(e.startedAt),
    at: iso(e.at),
    suppressed: e.suppressed ?? undefined,
  };
}

export function deliveryView(d: Delivery) {
  return {
    seq: d.seq,
    eventId: d.eventId,
    target: d.targetId,
    channel: d.channelId,
    status: d.status,
    attempts: d.attempts,
    nextAttemptAt: d.status === 'pending' ? iso(d.nextAttemptAt) : null,
    lastError: d.lastError,
    createdAt: iso(d.createdAt),
    updatedAt: iso(d.updatedAt),
  };
}
