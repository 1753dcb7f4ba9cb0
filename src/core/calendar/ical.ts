import type { Instant } from '../time.js';
import { knownZone, toInstant, type LocalDateTime } from './zone.js';

/** A DTSTART/DTEND-like value: all-day date, UTC time, or wall-clock time in a zone (null: floating). */
export interface CalendarTime {
  readonly local: LocalDateTime;
  readonly zone: string | null;
  readonly allDay: boolean;
}

export type Frequency = 'DAILY' | 'WEEKLY' | 'MONTHLY' | 'YEARLY';
/** Monday = 0 … Sunday = 6. */
export type Weekday = 0 | 1 | 2 | 3 | 4 | 5 | 6;

/** The supported subset of RFC 5545 RRULE. */
export interface RecurrenceRule {
  readonly freq: Frequency;
  readonly interval: number;
  readonly count: number | null;
  /** Last allowed start (inclusive). */
  readonly until: Instant | null;
  /** BYDAY; `nth` (1…5, −1…−5) only for MONTHLY. */
  readonly byDay: readonly { readonly day: Weekday; readonly nth: number | null }[];
  readonly byMonthDay: readonly number[];
}

export interface CalendarEvent {
  readonly uid: string;
  readonly summary: string | null;
  readonly description: string | null;
  readonly location: string | null;
  readonly url: string | null;
  readonly start: CalendarTime;
  /** Length of each occurrence. */
  readonly durationMs: number;
  readonly rrule: RecurrenceRule | null;
  /** Occurrence starts removed by EXDATE. */
  readonly exdates: readonly Instant[];
  /** Set on a modified instance of a recurring event: the original occurrence it replaces. */
  readonly recurrenceId: Instant | null;
  readonly cancelled: boolean;
}

export interface ParsedCalendar {
  readonly events: readonly CalendarEvent[];
  /** Things skipped or approximated, one line each (shown to whoever configured the feed). */
  readonly problems: readonly string[];
}

interface Property {
  readonly name: string;
  readonly params: Readonly<Record<string, string>>;
  readonly value: string;
}

const WEEKDAYS: Record<string, Weekday> = { MO: 0, TU: 1, WE: 2, TH: 3, FR: 4, SA: 5, SU: 6 };
const DAY_MS = 86_400_000;

/** Parses an iCalendar (RFC 5545) document into its VEVENTs. Never throws: bad events become problems. */
export function parseICalendar(text: string): ParsedCalendar {
  const lines = text
    .replace(/\r\n/g, '\n')
    .replace(/\n[ \t]/g, '')
    .split('\n');
  const events: CalendarEvent[] = [];
  const problems: string[] = [];
  let current: Property[] | null = null;
  let nested = 0;
  for (const line of lines) {
    if (line.trim() === '') continue;
    const prop = parseLine(line);
    if (!prop) continue;
    if (prop.name === 'BEGIN') {
      if (current !== null) nested++;
      else if (prop.value.toUpperCase() === 'VEVENT') current = [];
      continue;
    }
    if (prop.name === 'END') {
      if (current === null) continue;
      if (nested > 0) {
        nested--;
        continue;
      }
      const result = toEvent(current);
      if (typeof result === 'string') problems.push(result);
      else {
        events.push(result.event);
        problems.push(...result.problems);
      }
      current = null;
      continue;
    }
    if (current !== null && nested === 0) current.push(prop);
  }
  return { events, problems };
}

function parseLine(line: string): Property | null {
  let i = 0;
  let inQuotes = false;
  let colon = -1;
  for (; i < line.length; i++) {
    const ch = line[i];
    if (ch === '"') inQuotes = !inQuotes;
    else if (ch === ':' && !inQuotes) {
      colon = i;
      break;
    }
  }
  if (colon < 0) return null;
  const [name = '', ...rawParams] = splitOutsideQuotes(line.slice(0, colon), ';');
  const params: Record<string, string> = {};
  for (const p of rawParams) {
    const eq = p.indexOf('=');
    if (eq > 0) params[p.slice(0, eq).toUpperCase()] = p.slice(eq + 1).replace(/^"|"$/g, '');
  }
  return { name: name.toUpperCase(), params, value: line.slice(colon + 1) };
}

function splitOutsideQuotes(text: string, sep: string): string[] {
  const out: string[] = [];
  let start = 0;
  let inQuotes = false;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '"') inQuotes = !inQuotes;
    else if (text[i] === sep && !inQuotes) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out;
}

/** TEXT values: `\n`, `\,`, `\;`, `\\`. */
export function unescapeText(value: string): string {
  return value.replace(/\\([nN,;\\])/g, (_m, c: string) => (c === 'n' || c === 'N' ? '\n' : c));
}

const DATE = /^(\d{4})(\d{2})(\d{2})$/;
const DATE_TIME = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(Z?)$/;

/** Parses a DATE or DATE-TIME value with its TZID/VALUE parameters. */
export function parseTime(
  value: string,
  params: Readonly<Record<string, string>>,
): CalendarTime | null {
  const v = value.trim();
  const d = DATE.exec(v);
  if (d) {
    return {
      local: {
        year: Number(d[1]),
        month: Number(d[2]),
        day: Number(d[3]),
        hour: 0,
        minute: 0,
        second: 0,
      },
      zone: null,
      allDay: true,
    };
  }
  const t = DATE_TIME.exec(v);
  if (!t) return null;
  const local = {
    year: Number(t[1]),
    month: Number(t[2]),
    day: Number(t[3]),
    hour: Number(t[4]),
    minute: Number(t[5]),
    second: Number(t[6]),
  };
  if (
    local.month < 1 ||
    local.month > 12 ||
    local.day < 1 ||
    local.day > 31 ||
    local.hour > 23 ||
    local.minute > 59 ||
    local.second > 60
  )
    return null;
  const zone = t[7] === 'Z' ? 'UTC' : (params['TZID'] ?? null);
  return { local, zone, allDay: false };
}

/** An all-day time is read as UTC midnight; floating and unknown zones as UTC. */
export function instantOf(time: CalendarTime): Instant {
  return toInstant(time.local, time.allDay ? null : time.zone);
}

const DURATION = /^([+-])?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;

/** RFC 5545 DURATION (`PT1H30M`, `P1D`, `P2W`) in ms, or null. */
export function parseIcalDuration(value: string): number | null {
  const m = DURATION.exec(value.trim());
  if (!m || value.trim() === 'P' || value.trim().endsWith('T')) return null;
  const [, sign, w, d, h, min, s] = m;
  const ms =
    ((Number(w ?? 0) * 7 + Number(d ?? 0)) * 24 * 3600 +
      Number(h ?? 0) * 3600 +
      Number(min ?? 0) * 60 +
      Number(s ?? 0)) *
    1000;
  return sign === '-' ? -ms : ms;
}

function parseRRule(value: string, zone: string | null): RecurrenceRule | string {
  const parts = new Map<string, string>();
  for (const kv of value.split(';')) {
    const eq = kv.indexOf('=');
    if (eq > 0) parts.set(kv.slice(0, eq).toUpperCase(), kv.slice(eq + 1).toUpperCase());
  }
  const freq = parts.get('FREQ');
  if (freq !== 'DAILY' && freq !== 'WEEKLY' && freq !== 'MONTHLY' && freq !== 'YEARLY')
    return `unsupported RRULE frequency ${freq ?? '(none)'}`;
  const unsupported = [...parts.keys()].filter(
    (k) => !['FREQ', 'INTERVAL', 'COUNT', 'UNTIL', 'BYDAY', 'BYMONTHDAY', 'WKST'].includes(k),
  );
  if (unsupported.length > 0) return `unsupported RRULE part ${unsupported.join(', ')}`;
  const interval = Number(parts.get('INTERVAL') ?? 1);
  const countText = parts.get('COUNT');
  const count = countText === undefined ? null : Number(countText);
  if (
    !Number.isInteger(interval) ||
    interval < 1 ||
    (count !== null && (!Number.isInteger(count) || count < 1))
  )
    return 'bad RRULE INTERVAL or COUNT';
  let until: Instant | null = null;
  const untilText = parts.get('UNTIL');
  if (untilText !== undefined) {
    const time = parseTime(
      untilText,
      zone !== null && !untilText.endsWith('Z') ? { TZID: zone } : {},
    );
    if (!time) return `bad RRULE UNTIL ${untilText}`;
    // A date-only UNTIL includes that whole day.
    until = instantOf(time) + (time.allDay ? DAY_MS - 1 : 0);
  }
  const byDay: { day: Weekday; nth: number | null }[] = [];
  for (const item of (parts.get('BYDAY') ?? '').split(',').filter((s) => s !== '')) {
    const m = /^([+-]?\d)?(MO|TU|WE|TH|FR|SA|SU)$/.exec(item);
    if (!m) return `bad RRULE BYDAY ${item}`;
    const nth = m[1] === undefined ? null : Number(m[1]);
    if (nth !== null && (freq !== 'MONTHLY' || nth === 0))
      return `unsupported RRULE BYDAY ${item} with FREQ=${freq}`;
    byDay.push({ day: WEEKDAYS[m[2]!]!, nth });
  }
  if (freq === 'YEARLY' && byDay.length > 0) return 'unsupported RRULE BYDAY with FREQ=YEARLY';
  const byMonthDay = (parts.get('BYMONTHDAY') ?? '')
    .split(',')
    .filter((s) => s !== '')
    .map(Number);
  if (byMonthDay.some((n) => !Number.isInteger(n) || n === 0 || n < -31 || n > 31))
    return 'bad RRULE BYMONTHDAY';
  return { freq, interval, count, until, byDay, byMonthDay };
}

/** Only http(s) links survive: a feed is third-party input and its links end up in pages. */
function httpUrl(value: string): string | null {
  return /^https?:\/\/[^\s]+$/i.test(value) ? value : null;
}

function toEvent(
  props: readonly Property[],
): { event: CalendarEvent; problems: string[] } | string {
  const get = (name: string) => props.find((p) => p.name === name);
  const uid = get('UID')?.value.trim() ?? '';
  const label = uid === '' ? 'VEVENT without UID' : `VEVENT ${uid}`;
  const dtstart = get('DTSTART');
  if (!dtstart) return `${label}: no DTSTART, skipped`;
  const start = parseTime(dtstart.value, dtstart.params);
  if (!start) return `${label}: bad DTSTART ${dtstart.value}, skipped`;
  const problems: string[] = [];
  if (start.zone !== null && !knownZone(start.zone))
    problems.push(`${label}: unknown time zone "${start.zone}", read as UTC`);
  const startAt = instantOf(start);
  let durationMs = start.allDay ? DAY_MS : 0;
  const dtend = get('DTEND');
  const duration = get('DURATION');
  if (dtend) {
    const end = parseTime(dtend.value, dtend.params);
    if (end) durationMs = Math.max(0, instantOf(end) - startAt);
    else problems.push(`${label}: bad DTEND ${dtend.value}, ignored`);
  } else if (duration) {
    const ms = parseIcalDuration(duration.value);
    if (ms !== null && ms >= 0) durationMs = ms;
    else problems.push(`${label}: bad DURATION ${duration.value}, ignored`);
  }
  let rrule: RecurrenceRule | null = null;
  const rruleProp = get('RRULE');
  if (rruleProp) {
    const parsed = parseRRule(rruleProp.value, start.allDay ? null : start.zone);
    if (typeof parsed === 'string')
      problems.push(`${label}: ${parsed}; only the first occurrence is shown`);
    else rrule = parsed;
  }
  const exdates: Instant[] = [];
  for (const p of props.filter((q) => q.name === 'EXDATE')) {
    for (const v of p.value.split(',')) {
      const t = parseTime(
        v,
        p.params.TZID === undefined &&
          !start.allDay &&
          start.zone !== null &&
          !v.trim().endsWith('Z')
          ? { ...p.params, TZID: start.zone }
          : p.params,
      );
      if (t) exdates.push(instantOf(t));
    }
  }
  const rid = get('RECURRENCE-ID');
  const ridTime = rid ? parseTime(rid.value, rid.params) : null;
  const text = (name: string) => {
    const p = get(name);
    return p === undefined || p.value.trim() === '' ? null : unescapeText(p.value);
  };
  return {
    event: {
      uid: uid === '' ? `${startAt}-${text('SUMMARY') ?? ''}` : uid,
      summary: text('SUMMARY'),
      description: text('DESCRIPTION'),
      location: text('LOCATION'),
      url: httpUrl(get('URL')?.value.trim() ?? ''),
      start,
      durationMs,
      rrule,
      exdates,
      recurrenceId: ridTime ? instantOf(ridTime) : null,
      cancelled: get('STATUS')?.value.trim().toUpperCase() === 'CANCELLED',
    },
    problems,
  };
}
