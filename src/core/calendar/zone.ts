import type { Instant } from '../time.js';

/** A wall-clock date and time as written in a calendar (month 1–12). */
export interface LocalDateTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat | null>();

function formatter(zone: string): Intl.DateTimeFormat | null {
  let f = formatters.get(zone);
  if (f === undefined) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      // Not an IANA zone (e.g. a Windows zone name): the caller falls back to UTC.
      f = null;
    }
    formatters.set(zone, f);
  }
  return f;
}

/** Whether `zone` is an IANA time zone this runtime knows. */
export function knownZone(zone: string): boolean {
  return formatter(zone) !== null;
}

export function utcOf(local: LocalDateTime): Instant {
  return Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second);
}

export function localOfUtc(at: Instant): LocalDateTime {
  const d = new Date(at);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
  };
}

/** Offset of `zone` from UTC at `at`, in ms (east positive). */
function offsetAt(f: Intl.DateTimeFormat, at: Instant): number {
  const parts: Record<string, number> = {};
  for (const p of f.formatToParts(new Date(at)))
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const asUtc = Date.UTC(
    parts['year']!,
    parts['month']! - 1,
    parts['day'],
    parts['hour'],
    parts['minute'],
    parts['second'],
  );
  return asUtc - (at - (at % 1000));
}

/**
 * The instant a wall-clock time in an IANA zone denotes. `zone` null (floating) or unknown is read
 * as UTC. In a DST gap the time is shifted forward by the gap, as RFC 5545 §3.3.5 asks.
 */
export function toInstant(local: LocalDateTime, zone: string | null): Instant {
  const guess = utcOf(local);
  const f = zone === null ? null : formatter(zone);
  if (f === null) return guess;
  const first = guess - offsetAt(f, guess);
  const second = guess - offsetAt(f, first);
  return first === second ? first : Math.max(first, second);
}
