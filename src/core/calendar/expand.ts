import type ICAL from 'ical.js';
import type { Instant } from '../time.js';
import { endOf, type CalendarEvent, type CalendarTime } from './ical.js';
import { localOf, toInstant, type LocalDateTime, type Zone } from './zone.js';

/** One concrete occurrence of an event. */
export interface Occurrence {
  readonly event: CalendarEvent;
  readonly start: Instant;
  readonly end: Instant;
}

/**
 * Rule instances kept per event at most: a guard against rules that would run for ever (an
 * hourly rule begun decades ago). Past it the expansion stops and says so.
 */
export const MAX_INSTANCES = 25_000;

/**
 * More than any distance between a wall-clock time read as UTC and the instant it denotes (UTC
 * offsets stay within ±14 h, a daylight-saving shift adds at most 2 h). Placing a local time in
 * its zone is costly, so instances further than this from a window are judged by their wall clock
 * alone and only those near it are placed exactly.
 */
const SLACK_MS = 2 * 86_400_000;

/** One start of a rule: its wall clock, and the instant once it was needed. */
class Instance {
  readonly local: LocalDateTime;
  /** The wall clock read as UTC: within `SLACK_MS` of the real instant. */
  readonly approx: Instant;
  private readonly zone: Zone;
  private exact: Instant | null;

  constructor(local: LocalDateTime, zone: Zone, at: Instant | null = null) {
    this.local = local;
    this.zone = zone;
    this.approx = Date.UTC(
      local.year,
      local.month - 1,
      local.day,
      local.hour,
      local.minute,
      local.second,
    );
    this.exact = at;
  }

  static of(time: CalendarTime): Instance {
    return new Instance(time.local, time.zone, time.at);
  }

  get at(): Instant {
    this.exact ??= toInstant(this.local, this.zone);
    return this.exact;
  }

  time(): CalendarTime {
    return { local: this.local, zone: this.zone, at: this.at };
  }
}

interface RuleCursor {
  readonly iterator: ICAL.RecurIterator;
  readonly until: Instant | null;
  readonly starts: Instance[];
  done: boolean;
}

/** The recurrence set of one master event (RFC 5545 §3.8.5), expanded lazily and kept. */
class RecurrenceSet {
  private readonly event: CalendarEvent;
  private readonly cursors: RuleCursor[];
  private readonly maxInstances: number;
  private instances = 0;
  problem: string | null = null;

  constructor(event: CalendarEvent, dtstart: ICAL.Time, maxInstances: number) {
    this.event = event;
    this.maxInstances = maxInstances;
    this.cursors = event.rrules.map((rule, i) => ({
      iterator: rule.iterator(dtstart),
      until: event.untils[i] ?? null,
      starts: [],
      done: false,
    }));
  }

  /** Every rule start up to `to` (exclusive, give or take `SLACK_MS`), duplicates possible. */
  startsBefore(to: Instant): Instance[] {
    const out: Instance[] = [];
    for (const cursor of this.cursors) {
      this.advance(cursor, to);
      out.push(...cursor.starts);
    }
    return out;
  }

  private advance(cursor: RuleCursor, to: Instant): void {
    const zone = this.event.start.zone;
    for (;;) {
      const last = cursor.starts[cursor.starts.length - 1];
      if (cursor.done || (last !== undefined && last.approx >= to + SLACK_MS)) return;
      if (this.instances >= this.maxInstances) {
        cursor.done = true;
        this.problem =
          `VEVENT ${this.event.uid}: recurrence stopped after ${this.maxInstances} occurrences ` +
          `(at ${new Date(last?.at ?? this.event.start.at).toISOString()})`;
        return;
      }
      // Typed as never null, but it is once the rule is exhausted.
      const next = cursor.iterator.next() as ICAL.Time | null;
      if (next === null) {
        cursor.done = true;
        return;
      }
      const instance = new Instance(localOf(next), zone);
      // UNTIL is inclusive and an instant: only a start near it needs placing exactly.
      if (
        cursor.until !== null &&
        (instance.approx > cursor.until + SLACK_MS ||
          (instance.approx >= cursor.until - SLACK_MS && instance.at > cursor.until))
      ) {
        cursor.done = true;
        return;
      }
      this.instances++;
      cursor.starts.push(instance);
    }
  }
}

/**
 * A parsed calendar's occurrences: recurrence rules are walked by ical.js (every RRULE part,
 * WKST included), RDATEs added, EXDATEs and overridden instances (RECURRENCE-ID) removed, and
 * every local time placed by `toInstant`. Expansion is kept between calls, so a rule that began
 * decades ago is walked once, not on every request.
 */
export class ExpandedCalendar {
  private readonly events: readonly CalendarEvent[];
  private readonly sets = new Map<CalendarEvent, RecurrenceSet>();
  private readonly overridden = new Map<string, Set<Instant>>();

  constructor(events: readonly CalendarEvent[], maxInstances = MAX_INSTANCES) {
    this.events = events;
    for (const e of events) {
      if (e.recurrenceId !== null) {
        const set = this.overridden.get(e.uid) ?? new Set<Instant>();
        set.add(e.recurrenceId);
        this.overridden.set(e.uid, set);
      }
      if (e.recurrenceId === null && e.rrules.length > 0)
        this.sets.set(e, new RecurrenceSet(e, e.dtstart, maxInstances));
    }
  }

  /** Recurrences that were cut short, one line each. */
  problems(): string[] {
    return [...this.sets.values()].flatMap((s) => (s.problem === null ? [] : [s.problem]));
  }

  /** Occurrences that overlap `[from, to)`, sorted by start; cancelled ones are left out. */
  between(from: Instant, to: Instant, maxPerEvent = 1_000): Occurrence[] {
    const out: Occurrence[] = [];
    for (const event of this.events) {
      if (event.cancelled) continue;
      if (event.recurrenceId !== null) {
        const end = endOf(event, event.start);
        if (event.start.at < to && overlaps(event.start.at, end, from))
          out.push({ event, start: event.start.at, end });
        continue;
      }
      const set = this.sets.get(event);
      const starts = [
        Instance.of(event.start),
        ...event.rdates.map((r) => Instance.of(r.start)),
        ...(set ? set.startsBefore(to) : []),
      ];
      const rdateEnds = new Map(event.rdates.map((r) => [r.start.at, r.end]));
      const skip = this.overridden.get(event.uid);
      // How long after its start an occurrence can end, give or take the slack.
      const longest =
        event.length.kind === 'exact'
          ? event.length.ms
          : event.length.duration.days * 86_400_000 + event.length.duration.ms;
      const longestRdate = Math.max(
        0,
        ...event.rdates.map((r) => (r.end ?? r.start.at) - r.start.at),
      );
      const reach = Math.max(longest, longestRdate) + SLACK_MS;
      const seen = new Set<Instant>();
      const candidates: Instance[] = [];
      for (const start of starts) {
        // Far outside the window on the wall clock alone: no need to place it.
        if (start.approx - SLACK_MS >= to || start.approx + reach < from) continue;
        if (start.at >= to || seen.has(start.at)) continue;
        seen.add(start.at);
        candidates.push(start);
      }
      let emitted = 0;
      for (const start of candidates.sort((a, b) => a.at - b.at)) {
        if (emitted >= maxPerEvent) break;
        if (event.exdates.has(start.at) || skip?.has(start.at) === true) continue;
        const end = rdateEnds.get(start.at) ?? endOf(event, start.time());
        if (!overlaps(start.at, end, from)) continue;
        out.push({ event, start: start.at, end });
        emitted++;
      }
    }
    return out.sort((a, b) => a.start - b.start || a.event.uid.localeCompare(b.event.uid));
  }
}

/** Occurrences of `events` overlapping `[from, to)` (a one-off expansion). */
export function expandEvents(
  events: readonly CalendarEvent[],
  from: Instant,
  to: Instant,
): Occurrence[] {
  return new ExpandedCalendar(events).between(from, to);
}

/** An occurrence overlaps a window starting at `from` if it ends after it (or is an instant at it). */
function overlaps(start: Instant, end: Instant, from: Instant): boolean {
  return end > from || (end === start && start >= from);
}
