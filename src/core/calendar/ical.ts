import ICAL from 'ical.js';
import type { Instant } from '../time.js';
import {
  addNominal,
  localOf,
  resolveZone,
  toInstant,
  UTC,
  type LocalDateTime,
  type NominalDuration,
  type Zone,
} from './zone.js';

/** A start in the calendar: its instant, and the wall clock and zone it was written in. */
export interface CalendarTime {
  readonly at: Instant;
  readonly local: LocalDateTime;
  readonly zone: Zone;
}

/** How long each occurrence lasts: DTEND gives an exact length, DURATION a nominal one (§3.8.5.3). */
export type EventLength =
  | { readonly kind: 'exact'; readonly ms: number }
  | { readonly kind: 'nominal'; readonly duration: NominalDuration };

/** An extra occurrence from RDATE; a PERIOD value brings its own end. */
export interface ExtraDate {
  readonly start: CalendarTime;
  readonly end: Instant | null;
}

/** One VEVENT, with everything its recurrence needs already read by ical.js. */
export interface CalendarEvent {
  readonly uid: string;
  readonly summary: string | null;
  readonly description: string | null;
  readonly location: string | null;
  readonly url: string | null;
  /** A DATE (not DATE-TIME) start: the event covers whole days (kept as UTC midnights). */
  readonly allDay: boolean;
  readonly start: CalendarTime;
  /** DTSTART as ical.js read it: recurrence rules are walked from it. */
  readonly dtstart: ICAL.Time;
  readonly length: EventLength;
  /** RRULEs (usually one), UNTIL removed: it is compared as an instant in `untils`. */
  readonly rrules: readonly ICAL.Recur[];
  /** The last allowed start of each rule (inclusive), or null. */
  readonly untils: readonly (Instant | null)[];
  readonly rdates: readonly ExtraDate[];
  /** Occurrence starts removed by EXDATE. */
  readonly exdates: ReadonlySet<Instant>;
  /** Set on a modified instance of a recurring event: the original occurrence it replaces. */
  readonly recurrenceId: Instant | null;
  readonly cancelled: boolean;
}

export interface ParsedCalendar {
  readonly events: readonly CalendarEvent[];
  /** What could not be read exactly, one line each (shown to whoever configured the feed). */
  readonly problems: readonly string[];
  /** `X-WR-CALNAME`, if any. */
  readonly name: string | null;
}

/** Only http(s) links survive: a feed is third-party input and its links end up in pages. */
function httpUrl(value: string): string | null {
  return /^https?:\/\/\S+$/i.test(value) ? value : null;
}

/** Parses an iCalendar (RFC 5545) document with ical.js. Never throws: what it cannot read becomes a problem. */
export function parseICalendar(text: string): ParsedCalendar {
  let jcal: unknown;
  try {
    jcal = ICAL.parse(text);
  } catch (err) {
    return {
      events: [],
      problems: [`not an iCalendar document: ${(err as Error).message}`],
      name: null,
    };
  }
  // Several VCALENDAR objects in one stream parse to a list.
  const roots = (Array.isArray(jcal) && Array.isArray(jcal[0]) ? jcal : [jcal]) as unknown[];
  const events: CalendarEvent[] = [];
  const problems: string[] = [];
  let name: string | null = null;
  for (const root of roots) {
    const calendar = new ICAL.Component(root as unknown[]);
    const calName = calendar.getFirstPropertyValue('x-wr-calname');
    if (name === null && typeof calName === 'string' && calName.trim() !== '') name = calName;
    const vtimezones = new Map<string, ICAL.Component>();
    for (const tz of calendar.getAllSubcomponents('vtimezone')) {
      const id = tz.getFirstPropertyValue('tzid');
      if (typeof id === 'string') vtimezones.set(id, tz);
    }
    const zones = new ZoneCache(vtimezones, problems);
    // Apple and Google write floating times meaning the calendar's zone (X-WR-TIMEZONE).
    const wr = calendar.getFirstPropertyValue('x-wr-timezone');
    const floating = typeof wr === 'string' && wr.trim() !== '' ? zones.get(wr) : null;
    let floatingReported = false;
    const readTime = (time: ICAL.Time, floatingIn?: Zone): CalendarTime => {
      const local = localOf(time);
      if (time.isDate) return { local, zone: UTC, at: toInstant(local, UTC) };
      let zone: Zone;
      if (zoneIdOf(time) === 'UTC') zone = UTC;
      else if (tzidOf(time) !== undefined) zone = zones.get(tzidOf(time) ?? '');
      else if (floatingIn !== undefined) zone = floatingIn;
      else if (floating !== null) zone = floating;
      else {
        zone = UTC;
        if (!floatingReported)
          problems.push('floating times (no TZID, no X-WR-TIMEZONE) are read as UTC');
        floatingReported = true;
      }
      return { local, zone, at: toInstant(local, zone) };
    };
    for (const vevent of calendar.getAllSubcomponents('vevent')) {
      const result = toEvent(vevent, readTime);
      if (typeof result === 'string') problems.push(result);
      else {
        events.push(result.event);
        problems.push(...result.problems);
      }
    }
  }
  return { events, problems, name };
}

/** The id of the zone ical.js attached to a time (typed as always set; floating times have none). */
function zoneIdOf(time: ICAL.Time): string | undefined {
  return (time.zone as ICAL.Timezone | null | undefined)?.tzid;
}

/**
 * The TZID an ical.js time was written with: the zone ical.js attached when the calendar has a
 * VTIMEZONE of that id, else the id it kept (absent from its typings); undefined when floating.
 */
function tzidOf(time: ICAL.Time): string | undefined {
  const zoneId = zoneIdOf(time);
  if (zoneId !== undefined && zoneId !== 'floating' && zoneId !== '') return zoneId;
  const tzid = (time as ICAL.Time & { timezone?: unknown }).timezone;
  return typeof tzid === 'string' && tzid !== '' ? tzid : undefined;
}

/** Resolves each TZID once per feed and reports each inexact one once. */
class ZoneCache {
  private readonly vtimezones: ReadonlyMap<string, ICAL.Component>;
  private readonly problems: string[];
  private readonly zones = new Map<string, Zone>();

  constructor(vtimezones: ReadonlyMap<string, ICAL.Component>, problems: string[]) {
    this.vtimezones = vtimezones;
    this.problems = problems;
  }

  get(tzid: string): Zone {
    let zone = this.zones.get(tzid);
    if (zone === undefined) {
      const resolved = resolveZone(tzid, this.vtimezones);
      if (resolved.warning !== null) this.problems.push(resolved.warning);
      zone = resolved.zone;
      this.zones.set(tzid, zone);
    }
    return zone;
  }
}

/** RRULE parts ical.js (2.x) does not expand correctly: reported, and the rule left out. */
function unsupportedRule(recur: ICAL.Recur): string | null {
  const parts = recur.parts as Record<string, unknown[] | undefined>;
  if (parts['BYWEEKNO'] !== undefined) return 'BYWEEKNO';
  // Its BYDAY parser reads one digit: `20MO` would become every Monday.
  const byDay = (parts['BYDAY'] ?? []) as string[];
  if (byDay.some((d) => /^[+-]?\d{2}/.test(d))) return `BYDAY ordinal ${byDay.join(',')}`;
  const rscale = (recur as ICAL.Recur & { rscale?: string | null }).rscale;
  if (typeof rscale === 'string' && rscale.toUpperCase() !== 'GREGORIAN') return `RSCALE=${rscale}`;
  return null;
}

function toEvent(
  vevent: ICAL.Component,
  readTime: (time: ICAL.Time, floatingIn?: Zone) => CalendarTime,
): { event: CalendarEvent; problems: string[] } | string {
  const uidValue = vevent.getFirstPropertyValue('uid');
  const uid = typeof uidValue === 'string' ? uidValue.trim() : '';
  const label = uid === '' ? 'VEVENT without UID' : `VEVENT ${uid}`;
  const problems: string[] = [];
  try {
    const dtstart = vevent.getFirstPropertyValue('dtstart');
    if (!(dtstart instanceof ICAL.Time)) return `${label}: no DTSTART, skipped`;
    const start = readTime(dtstart);
    const allDay = dtstart.isDate;
    let length: EventLength = allDay
      ? { kind: 'nominal', duration: { days: 1, ms: 0 } }
      : { kind: 'exact', ms: 0 };
    const dtend = vevent.getFirstPropertyValue('dtend');
    const duration = vevent.getFirstPropertyValue('duration');
    if (dtend instanceof ICAL.Time) {
      length = { kind: 'exact', ms: Math.max(0, readTime(dtend).at - start.at) };
    } else if (duration instanceof ICAL.Duration) {
      if (duration.isNegative) problems.push(`${label}: negative DURATION ignored`);
      else
        length = {
          kind: 'nominal',
          duration: {
            days: duration.weeks * 7 + duration.days,
            ms: ((duration.hours * 60 + duration.minutes) * 60 + duration.seconds) * 1_000,
          },
        };
    }
    const rrules: ICAL.Recur[] = [];
    const untils: (Instant | null)[] = [];
    for (const prop of vevent.getAllProperties('rrule')) {
      const recur = prop.getFirstValue();
      if (!(recur instanceof ICAL.Recur)) continue;
      const unsupported = unsupportedRule(recur);
      if (unsupported !== null) {
        problems.push(
          `${label}: RRULE ${recur.toString()} uses ${unsupported}, which the recurrence ` +
            'library cannot expand correctly; only the first occurrence is shown',
        );
        continue;
      }
      const copy = recur.clone();
      const until = copy.until;
      copy.until = null;
      rrules.push(copy);
      // A date-only UNTIL includes that whole day; a UTC one is an instant; a floating one is
      // in the start's zone (§3.3.10).
      untils.push(
        until === null
          ? null
          : until.isDate
            ? toInstant({ ...localOf(until), hour: 23, minute: 59, second: 59 }, start.zone)
            : zoneIdOf(until) === 'UTC'
              ? toInstant(localOf(until), UTC)
              : toInstant(localOf(until), start.zone),
      );
    }
    if (vevent.getAllProperties('exrule').length > 0)
      problems.push(`${label}: EXRULE (deprecated) is not supported and was ignored`);
    const rdates: ExtraDate[] = [];
    for (const prop of vevent.getAllProperties('rdate')) {
      for (const value of prop.getValues()) {
        if (value instanceof ICAL.Time) rdates.push({ start: readTime(value), end: null });
        else if (value instanceof ICAL.Period) {
          const s = readTime(value.start);
          // Typed as always set, but a PERIOD has an end or a duration, not both.
          const periodEnd = value.end as ICAL.Time | null;
          const periodLength = value.duration as ICAL.Duration | null;
          const end =
            periodEnd !== null
              ? readTime(periodEnd).at
              : periodLength !== null
                ? addNominal(s.local, s.at, s.zone, {
                    days: periodLength.weeks * 7 + periodLength.days,
                    ms:
                      ((periodLength.hours * 60 + periodLength.minutes) * 60 +
                        periodLength.seconds) *
                      1_000,
                  })
                : null;
          rdates.push({ start: s, end });
        }
      }
    }
    const exdates = new Set<Instant>();
    for (const prop of vevent.getAllProperties('exdate')) {
      for (const value of prop.getValues()) {
        if (!(value instanceof ICAL.Time)) continue;
        // An EXDATE without TZID in a zoned event means that event's wall clock.
        exdates.add(readTime(value, start.zone).at);
      }
    }
    const ridProp = vevent.getFirstProperty('recurrence-id');
    const rid = ridProp?.getFirstValue();
    if (ridProp?.getParameter('range') !== undefined)
      problems.push(
        `${label}: RECURRENCE-ID;RANGE=${String(ridProp.getParameter('range'))} applied to that one occurrence only`,
      );
    const text = (name: string): string | null => {
      const v = vevent.getFirstPropertyValue(name);
      return typeof v === 'string' && v.trim() !== '' ? v : null;
    };
    const summary = text('summary');
    const urlValue = text('url');
    const status = text('status');
    return {
      event: {
        uid: uid === '' ? `${start.at}-${summary ?? ''}` : uid,
        summary,
        description: text('description'),
        location: text('location'),
        url: urlValue === null ? null : httpUrl(urlValue.trim()),
        allDay,
        start,
        dtstart,
        length,
        rrules,
        untils,
        rdates,
        exdates,
        recurrenceId: rid instanceof ICAL.Time ? readTime(rid, start.zone).at : null,
        cancelled: status?.trim().toUpperCase() === 'CANCELLED',
      },
      problems,
    };
  } catch (err) {
    return `${label}: ${(err as Error).message}, skipped`;
  }
}

/** When an occurrence starting at `start` ends. */
export function endOf(event: CalendarEvent, start: CalendarTime): Instant {
  return event.length.kind === 'exact'
    ? start.at + event.length.ms
    : addNominal(start.local, start.at, start.zone, event.length.duration);
}
