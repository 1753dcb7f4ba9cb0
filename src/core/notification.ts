import type { Channel, ChannelEvent, ChannelState, EventKind } from './model.js';
import type { Instant } from './time.js';

/** The channel as it was when the event happened, kept with the event for later delivery. */
export interface ChannelSnapshot {
  readonly id: string;
  readonly platform: string;
  readonly url: string;
  readonly name: string | null;
}

/** What a notification is about: an announced event, or a "Send test" (never mistaken for `live`). */
export type NotificationKind = EventKind | 'test';

/** One announced event, ready for any notifier to render. */
export interface Notification {
  readonly id: string;
  readonly event: NotificationKind;
  readonly channel: ChannelSnapshot;
  readonly title: string | null;
  readonly tags: readonly string[];
  readonly startedAt: Instant | null;
  readonly at: Instant;
}

export function snapshotOf(channel: Channel, state: ChannelState): ChannelSnapshot {
  return {
    id: channel.id,
    platform: channel.platform,
    url: channel.url,
    name: channel.name ?? state.platformName,
  };
}

export function notificationOf(event: ChannelEvent, channel: ChannelSnapshot): Notification {
  return {
    id: event.id,
    event: event.kind,
    channel,
    title: event.title,
    tags: event.tags,
    startedAt: event.startedAt,
    at: event.at,
  };
}
