import type { Instant } from '../time.js';

/** Where a schedule entry came from: an iCalendar feed, a platform's own schedule, by hand, or the history. */
export type EntrySource = 'feed' | 'platform' | 'manual' | 'history';

/** Where an entry stands relative to now. */
export type EntryStatus = 'upcoming' | 'live' | 'past';

/** One thing on the schedule: an announced stream, a hand-added slot, or a past live session. */
export interface ScheduleEntry {
  /** Stable across refreshes: derived from the source (feed URL + UID + start, row id, session). */
  readonly id: string;
  readonly source: EntrySource;
  readonly channelId: string | null;
  readonly title: string;
  readonly description: string | null;
  readonly url: string | null;
  readonly start: Instant;
  /** Null while a session is still live. */
  readonly end: Instant | null;
  /** Whole days (an iCalendar DATE): `start` and `end` are UTC midnights, `end` exclusive. */
  readonly allDay: boolean;
  readonly status: EntryStatus;
}

/** The fields of a history event that sessions are rebuilt from. */
export interface SessionEvent {
  readonly channelId: string;
  readonly kind: 'live' | 'title' | 'offline';
  readonly title: string | null;
  readonly startedAt: Instant | null;
  readonly at: Instant;
}

export interface LiveSession {
  readonly channelId: string;
  readonly title: string | null;
  readonly start: Instant;
  /** When the offline was recorded (after the reconnect grace), or null if none was. */
  readonly end: Instant | null;
}

/**
 * Rebuilds live sessions from the event history (suppressed events included: they are facts).
 * A `live` or `title` event opens or continues the session that started at its `startedAt`;
 * `offline` closes it. Events may come in any order.
 */
export function sessionsFromEvents(events: readonly SessionEvent[]): LiveSession[] {
  const sorted = [...events].sort((a, b) => a.at - b.at);
  const open = new Map<string, { channelId: string; title: string | null; start: Instant }>();
  const out: LiveSession[] = [];
  for (const e of sorted) {
    const current = open.get(e.channelId);
    if (e.kind === 'offline') {
      if (current) out.push({ ...current, end: e.at });
      open.delete(e.channelId);
      continue;
    }
    const start = e.startedAt ?? current?.start ?? e.at;
    if (current && current.start !== start) out.push({ ...current, end: null });
    open.set(e.channelId, {
      channelId: e.channelId,
      title: e.title ?? current?.title ?? null,
      start,
    });
  }
  for (const s of open.values()) out.push({ ...s, end: null });
  return out.sort((a, b) => a.start - b.start);
}

/** Upcoming, live or past, given the time now. */
export function statusAt(start: Instant, end: Instant | null, now: Instant): EntryStatus {
  if (start > now) return 'upcoming';
  return end === null || end > now ? 'live' : 'past';
}
