import ICAL from 'ical.js';
import { Temporal } from 'temporal-polyfill';
import { findIana } from 'windows-iana';
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

/**
 * How a calendar's local times become instants:
 * - `utc`: a `Z` time, a date (all-day, kept as UTC midnight), or a floating time with no zone;
 * - `iana`: a zone Temporal knows (given as IANA, mapped from a Windows name, or named by the
 *   feed's own `VTIMEZONE`);
 * - `vtimezone`: only the feed's own `VTIMEZONE` rules, evaluated by ical.js.
 */
export type Zone =
  | { readonly kind: 'utc' }
  | { readonly kind: 'iana'; readonly id: string }
  | { readonly kind: 'vtimezone'; readonly id: string; readonly rules: ICAL.Timezone };

export const UTC: Zone = { kind: 'utc' };

const known = new Map<string, boolean>();

/** Whether Temporal (the runtime's tz database) knows `id` as a time zone. */
export function isIanaZone(id: string): boolean {
  let ok = known.get(id);
  if (ok === undefined) {
    try {
      Temporal.PlainDate.from('2000-01-01').toZonedDateTime(id);
      ok = true;
    } catch {
      ok = false;
    }
    known.set(id, ok);
  }
  return ok;
}

/** What a `TZID` resolved to, with a note for whoever configured the feed when it is not exact. */
export interface ResolvedZone {
  readonly zone: Zone;
  readonly warning: string | null;
}

/**
 * Resolves a `TZID` (or `X-WR-TIMEZONE`): an IANA name; a Windows name through the CLDR
 * mapping (windows-iana); the IANA name the feed's `VTIMEZONE` gives (`X-LIC-LOCATION`, or a
 * `/vendor/…/Area/City` id); else that `VTIMEZONE`'s own rules. Without any of these the time is
 * read as UTC, with a warning.
 */
export function resolveZone(
  tzid: string,
  vtimezones: ReadonlyMap<string, ICAL.Component>,
): ResolvedZone {
  const id = tzid.trim();
  if (/^(?:utc|gmt|z|etc\/utc)$/i.test(id)) return { zone: UTC, warning: null };
  if (isIanaZone(id)) return { zone: { kind: 'iana', id }, warning: null };
  const windows = findIana(id)[0];
  if (windows !== undefined && isIanaZone(windows))
    return { zone: { kind: 'iana', id: windows }, warning: null };
  const vtimezone = vtimezones.get(id);
  const location = vtimezone?.getFirstPropertyValue('x-lic-location');
  if (typeof location === 'string' && isIanaZone(location.trim()))
    return { zone: { kind: 'iana', id: location.trim() }, warning: null };
  // Mozilla-style ids: `/mozilla.org/20050126_1/America/New_York`, `/citadel.org/…/Europe/Paris`.
  const parts = id.split('/');
  for (let i = 1; i < parts.length - 1; i++) {
    const suffix = parts.slice(i).join('/');
    if (isIanaZone(suffix)) return { zone: { kind: 'iana', id: suffix }, warning: null };
  }
  if (vtimezone !== undefined) {
    return {
      zone: { kind: 'vtimezone', id, rules: new ICAL.Timezone(vtimezone) },
      warning:
        `time zone "${id}" is known only from the feed's VTIMEZONE: times inside its ` +
        'daylight-saving gap or repeated hour may be off by the shift',
    };
  }
  return { zone: UTC, warning: `unknown time zone "${id}" without a VTIMEZONE: read as UTC` };
}

/**
 * The instant a wall-clock time denotes in `zone`. Per RFC 5545 §3.3.5, a time inside a gap
 * moves forward by the gap and a repeated time is its first occurrence: Temporal's `compatible`
 * disambiguation is exactly that.
 */
export function toInstant(local: LocalDateTime, zone: Zone): Instant {
  switch (zone.kind) {
    case 'utc':
      return Temporal.PlainDateTime.from(local).toZonedDateTime('UTC').epochMilliseconds;
    case 'iana':
      return Temporal.PlainDateTime.from(local).toZonedDateTime(zone.id, {
        disambiguation: 'compatible',
      }).epochMilliseconds;
    case 'vtimezone': {
      const time = ICAL.Time.fromData({ ...local, isDate: false });
      time.zone = zone.rules;
      return time.toUnixTime() * 1_000;
    }
  }
}

/** A nominal length (RFC 5545 §3.3.6): weeks and days follow the wall clock, the rest is exact. */
export interface NominalDuration {
  readonly days: number;
  readonly ms: number;
}

/**
 * When something that starts at `local` (at `start`) in `zone` ends after `duration`: the days
 * are added on the wall clock (a day across a daylight-saving change is 23 or 25 hours), the time
 * part as exact time.
 */
export function addNominal(
  local: LocalDateTime,
  start: Instant,
  zone: Zone,
  duration: NominalDuration,
): Instant {
  if (duration.days === 0) return start + duration.ms;
  const date = Temporal.PlainDateTime.from(local).add({ days: duration.days });
  return toInstant(date, zone) + duration.ms;
}

/** The wall-clock fields of an ical.js time (month 1–12). */
export function localOf(time: ICAL.Time): LocalDateTime {
  return {
    year: time.year,
    month: time.month,
    day: time.day,
    hour: time.isDate ? 0 : time.hour,
    minute: time.isDate ? 0 : time.minute,
    second: time.isDate ? 0 : Math.min(time.second, 59),
  };
}

/** The wall-clock time of `at` in UTC (for export). */
export function utcLocal(at: Instant): LocalDateTime {
  const t = Temporal.Instant.fromEpochMilliseconds(at).toZonedDateTimeISO('UTC');
  return {
    year: t.year,
    month: t.month,
    day: t.day,
    hour: t.hour,
    minute: t.minute,
    second: t.second,
  };
}
