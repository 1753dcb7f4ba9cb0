import type { Instant } from '../time.js';
import type { CalendarEvent, RecurrenceRule, Weekday } from './ical.js';
import { instantOf } from './ical.js';
import { toInstant } from './zone.js';

/** One concrete occurrence of an event. */
export interface Occurrence {
  readonly event: CalendarEvent;
  readonly start: Instant;
  readonly end: Instant;
}

const DAY_MS = 86_400_000;
/** Periods (days, weeks, months, years) walked per event at most: a guard against runaway rules. */
const MAX_PERIODS = 20_000;

const dayNumber = (year: number, month: number, day: number) =>
  Math.floor(Date.UTC(year, month - 1, day) / DAY_MS);
const weekday = (dayNum: number) => (((dayNum % 7) + 7 + 3) % 7) as Weekday; // 1970-01-01 was a Thursday (3)
const daysInMonth = (year: number, month: number) =>
  new Date(Date.UTC(year, month, 0)).getUTCDate();

/**
 * Occurrences of `events` that overlap `[from, to)`, sorted by start. Recurring events are
 * expanded on the wall clock of their zone (so 18:00 stays 18:00 across DST), EXDATEs and
 * modified instances (RECURRENCE-ID) replace their originals, cancelled events are left out.
 */
export function expandEvents(
  events: readonly CalendarEvent[],
  from: Instant,
  to: Instant,
  maxPerEvent = 1_000,
): Occurrence[] {
  const overridden = new Map<string, Set<Instant>>();
  for (const e of events) {
    if (e.recurrenceId === null) continue;
    const set = overridden.get(e.uid) ?? new Set<Instant>();
    set.add(e.recurrenceId);
    overridden.set(e.uid, set);
  }
  const out: Occurrence[] = [];
  for (const event of events) {
    if (event.cancelled && event.recurrenceId === null && event.rrule === null) continue;
    if (event.recurrenceId !== null) {
      if (event.cancelled) continue;
      const start = instantOf(event.start);
      if (start < to && start + event.durationMs > from)
        out.push({ event, start, end: start + event.durationMs });
      continue;
    }
    if (event.cancelled) continue;
    const skip = new Set([...event.exdates, ...(overridden.get(event.uid) ?? [])]);
    let emitted = 0;
    for (const start of starts(event)) {
      if (start >= to || emitted >= maxPerEvent) break;
      if (skip.has(start) || start + event.durationMs <= from) continue;
      out.push({ event, start, end: start + event.durationMs });
      emitted++;
    }
  }
  return out.sort((a, b) => a.start - b.start || a.event.uid.localeCompare(b.event.uid));
}

/** Every start of an event in order: DTSTART first (it always counts), then the rule's. */
function* starts(event: CalendarEvent): Generator<Instant> {
  const first = instantOf(event.start);
  yield first;
  const rule = event.rrule;
  if (rule === null) return;
  const { local, allDay } = event.start;
  const zone = allDay ? null : event.start.zone;
  const startDay = dayNumber(local.year, local.month, local.day);
  let count = 1;
  for (const dayNum of days(rule, local.year, local.month, local.day, startDay)) {
    if (dayNum <= startDay) continue;
    const d = new Date(dayNum * DAY_MS);
    const at = toInstant(
      { ...local, year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() },
      zone,
    );
    if (rule.until !== null && at > rule.until) return;
    if (rule.count !== null && count >= rule.count) return;
    count++;
    yield at;
  }
}

/** Candidate day numbers of a rule, ascending (may include days before DTSTART). */
function* days(
  rule: RecurrenceRule,
  year: number,
  month: number,
  day: number,
  startDay: number,
): Generator<number> {
  const plainDays = rule.byDay.filter((b) => b.nth === null).map((b) => b.day);
  const matchesFilters = (dayNum: number) => {
    if (plainDays.length > 0 && !plainDays.includes(weekday(dayNum))) return false;
    if (rule.byMonthDay.length === 0) return true;
    const d = new Date(dayNum * DAY_MS);
    const dim = daysInMonth(d.getUTCFullYear(), d.getUTCMonth() + 1);
    return rule.byMonthDay.some((n) => (n > 0 ? n : dim + 1 + n) === d.getUTCDate());
  };
  switch (rule.freq) {
    case 'DAILY':
      for (let k = 0; k < MAX_PERIODS; k++) {
        const dayNum = startDay + k * rule.interval;
        if (matchesFilters(dayNum)) yield dayNum;
      }
      return;
    case 'WEEKLY': {
      const weekStart = startDay - weekday(startDay);
      const wanted =
        plainDays.length > 0 ? [...new Set(plainDays)].sort((a, b) => a - b) : [weekday(startDay)];
      for (let k = 0; k < MAX_PERIODS; k++) {
        for (const w of wanted) yield weekStart + k * 7 * rule.interval + w;
      }
      return;
    }
    case 'MONTHLY':
      for (let k = 0; k < MAX_PERIODS; k++) {
        const index = year * 12 + (month - 1) + k * rule.interval;
        const y = Math.floor(index / 12);
        const m = (index % 12) + 1;
        yield* monthDays(rule, y, m, day).map((d) => dayNumber(y, m, d));
      }
      return;
    case 'YEARLY':
      for (let k = 0; k < MAX_PERIODS; k++) {
        const y = year + k * rule.interval;
        if (day <= daysInMonth(y, month)) yield dayNumber(y, month, day);
      }
      return;
  }
}

function monthDays(
  rule: RecurrenceRule,
  year: number,
  month: number,
  startDayOfMonth: number,
): number[] {
  const dim = daysInMonth(year, month);
  const first = dayNumber(year, month, 1);
  let result: number[];
  if (rule.byDay.length > 0) {
    result = [];
    for (const { day, nth } of rule.byDay) {
      const all: number[] = [];
      for (let d = 1; d <= dim; d++) if (weekday(first + d - 1) === day) all.push(d);
      if (nth === null) result.push(...all);
      else {
        const pick = nth > 0 ? all[nth - 1] : all[all.length + nth];
        if (pick !== undefined) result.push(pick);
      }
    }
    if (rule.byMonthDay.length > 0) {
      const allowed = new Set(rule.byMonthDay.map((n) => (n > 0 ? n : dim + 1 + n)));
      result = result.filter((d) => allowed.has(d));
    }
  } else if (rule.byMonthDay.length > 0) {
    result = rule.byMonthDay
      .map((n) => (n > 0 ? n : dim + 1 + n))
      .filter((d) => d >= 1 && d <= dim);
  } else {
    result = startDayOfMonth <= dim ? [startDayOfMonth] : [];
  }
  return [...new Set(result)].sort((a, b) => a - b);
}
