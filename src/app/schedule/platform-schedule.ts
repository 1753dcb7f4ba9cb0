import type { Channel } from '../../core/model.js';
import type { Instant } from '../../core/time.js';

/** One stream a platform says a channel will do (a Twitch schedule segment), or its vacation. */
export interface PlatformSlot {
  /** Stable across refreshes (the platform's segment id and start). */
  readonly id: string;
  readonly title: string;
  readonly description: string | null;
  readonly start: Instant;
  readonly end: Instant | null;
  readonly url: string | null;
}

export type PlatformScheduleResult =
  | { readonly ok: true; readonly slots: readonly PlatformSlot[] }
  | { readonly ok: false; readonly error: string };

/**
 * A platform's own stream schedule (Twitch Helix Get Channel Stream Schedule), read for the
 * schedule page. Cancelled slots and slots inside a vacation are left out by the adapter; a
 * vacation itself is one slot.
 */
export interface PlatformScheduleReader {
  /** The platform whose channels it reads (`twitch`). */
  readonly platform: string;
  /** Upcoming slots of `channel` from `from` on. Expected failures are values, never thrown. */
  upcoming(channel: Channel, from: Instant): Promise<PlatformScheduleResult>;
}
