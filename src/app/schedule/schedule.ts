import { z } from 'zod';
import { sessionsFromEvents, statusAt, type ScheduleEntry } from '../../core/calendar/entry.js';
import { expandEvents } from '../../core/calendar/expand.js';
import { parseICalendar, type CalendarEvent } from '../../core/calendar/ical.js';
import { contentId } from '../../core/event-id.js';
import type { ChannelState } from '../../core/model.js';
import { redactUrl } from '../../core/redact.js';
import type { Instant } from '../../core/time.js';
import type { Cancel, Clock, Timers } from '../../ports/clock.js';
import type { HttpClient } from '../../ports/http-client.js';
import type { Logger } from '../../ports/logger.js';
import type { Store } from '../../ports/store.js';
import { AppError } from '../errors.js';
import { idSchema, zodIssues } from '../inputs.js';

/** An iCalendar feed from the config file (`schedules: [{ url, channel? }]`). */
export interface FeedConfig {
  readonly url: string;
  /** The channel the feed's events belong to, if it is one channel's schedule. */
  readonly channel?: string | undefined;
  readonly refreshMs: number;
}

export interface FeedStatus {
  /** Redacted: private calendar URLs carry their secret in the path or query. */
  readonly url: string;
  readonly channel: string | null;
  readonly fetchedAt: Instant | null;
  readonly events: number;
  readonly error: string | null;
  readonly problems: readonly string[];
}

export interface ScheduleDeps {
  readonly store: Pick<Store, 'getSetting' | 'setSetting' | 'listEvents'>;
  readonly http: HttpClient;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly logger: Logger;
  readonly feeds: readonly FeedConfig[];
  /** Current state of every channel (for sessions still live). */
  readonly channelStates: () => Iterable<readonly [string, ChannelState]>;
  readonly timeoutMs: number;
  readonly maxBytes: number;
}

/** What can be added by hand through the API. */
export const manualEntrySchema = z
  .strictObject({
    title: z.string({ error: 'is required' }).trim().min(1).max(300),
    start: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }),
    end: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }).optional(),
    channel: idSchema.optional(),
    description: z.string().max(4_000).optional(),
    url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  })
  // Only once both parse: a bad start is its own issue, not a bad end.
  .refine(
    (e) =>
      e.end === undefined ||
      Number.isNaN(Date.parse(e.start)) ||
      !(Date.parse(e.end) < Date.parse(e.start)),
    { path: ['end'], message: 'must not be before start' },
  );

const storedEntries = z.array(
  z.object({
    id: z.string(),
    title: z.string(),
    start: z.number(),
    end: z.number().nullable(),
    channel: z.string().nullable(),
    description: z.string().nullable(),
    url: z.string().nullable(),
  }),
);
type StoredEntry = z.output<typeof storedEntries>[number];

/** Hand-added entries are few; one settings document holds them, so the schedule needs no table of its own. */
const ENTRIES_KEY = 'schedule.entries';
const MAX_ENTRIES = 2_000;
/** History is read back this far before the window, so a session that began earlier still shows. */
const HISTORY_LOOKBACK_MS = 2 * 86_400_000;
const HISTORY_PAGE = 1_000;
const HISTORY_MAX_PAGES = 20;

interface FeedState {
  readonly config: FeedConfig;
  events: readonly CalendarEvent[];
  fetchedAt: Instant | null;
  error: string | null;
  problems: readonly string[];
  timer: Cancel | null;
}

/**
 * The schedule: upcoming streams from iCalendar feeds (fetched now and every `refreshMs`), entries
 * added by hand, and past live sessions rebuilt from the event history.
 */
export class Schedule {
  private readonly deps: ScheduleDeps;
  private readonly feeds: FeedState[];
  /** Serialises read-modify-write of the hand-added entries. */
  private writes: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(deps: ScheduleDeps) {
    this.deps = deps;
    this.feeds = deps.feeds.map((config) => ({
      config,
      events: [],
      fetchedAt: null,
      error: null,
      problems: [],
      timer: null,
    }));
  }

  /** Fetches every feed once and keeps refreshing them; does not wait for the first fetch. */
  start(): void {
    for (const feed of this.feeds) void this.refreshLoop(feed);
  }

  stop(): void {
    this.stopped = true;
    for (const feed of this.feeds) {
      feed.timer?.();
      feed.timer = null;
    }
  }

  /** Fetches every feed now (the admin's "refresh" button, and tests). */
  async refreshAll(): Promise<FeedStatus[]> {
    await Promise.all(this.feeds.map((f) => this.refresh(f)));
    return this.feedStatus();
  }

  feedStatus(): FeedStatus[] {
    return this.feeds.map((f) => ({
      url: redactUrl(f.config.url),
      channel: f.config.channel ?? null,
      fetchedAt: f.fetchedAt,
      events: f.events.length,
      error: f.error,
      problems: f.problems.slice(0, 50),
    }));
  }

  /** Every entry overlapping `[from, to)`, sorted by start. */
  async list(from: Instant, to: Instant): Promise<ScheduleEntry[]> {
    const now = this.deps.clock.now();
    const entries: ScheduleEntry[] = [];
    for (const feed of this.feeds) {
      for (const o of expandEvents(feed.events, from, to)) {
        entries.push({
          id: contentId('feed', feed.config.url, o.event.uid, o.start),
          source: 'feed',
          channelId: feed.config.channel ?? null,
          title: o.event.summary ?? o.event.location ?? '(untitled)',
          description: o.event.description,
          url: o.event.url,
          start: o.start,
          end: o.end,
          status: statusAt(o.start, o.end, now),
        });
      }
    }
    for (const e of await this.readEntries()) {
      if (e.start < to && (e.end ?? e.start) >= from) {
        entries.push({
          id: e.id,
          source: 'manual',
          channelId: e.channel,
          title: e.title,
          description: e.description,
          url: e.url,
          start: e.start,
          end: e.end,
          status: statusAt(e.start, e.end ?? e.start, now),
        });
      }
    }
    entries.push(...(await this.sessions(from, to, now)));
    return entries.sort((a, b) => a.start - b.start || a.id.localeCompare(b.id));
  }

  async addEntry(body: unknown): Promise<ScheduleEntry> {
    const parsed = manualEntrySchema.safeParse(body);
    if (!parsed.success) throw AppError.invalid(zodIssues(parsed.error));
    const input = parsed.data;
    const start = Date.parse(input.start);
    const end = input.end === undefined ? null : Date.parse(input.end);
    const created = this.deps.clock.now();
    const entry: StoredEntry = {
      id: contentId('manual', input.title, start, input.channel ?? '', created),
      title: input.title,
      start,
      end,
      channel: input.channel ?? null,
      description: input.description ?? null,
      url: input.url ?? null,
    };
    await this.mutate((entries) => {
      if (entries.length >= MAX_ENTRIES)
        throw new AppError(
          'conflict',
          `at most ${MAX_ENTRIES} hand-added entries; delete old ones first`,
        );
      return [...entries, entry];
    });
    return {
      id: entry.id,
      source: 'manual',
      channelId: entry.channel,
      title: entry.title,
      description: entry.description,
      url: entry.url,
      start,
      end,
      status: statusAt(start, end ?? start, created),
    };
  }

  async removeEntry(id: string): Promise<void> {
    await this.mutate((entries) => {
      const rest = entries.filter((e) => e.id !== id);
      if (rest.length === entries.length)
        throw new AppError('notFound', `no hand-added schedule entry "${id}"`);
      return rest;
    });
  }

  private async readEntries(): Promise<StoredEntry[]> {
    const text = await this.deps.store.getSetting(ENTRIES_KEY);
    if (text === undefined) return [];
    const parsed = storedEntries.safeParse(JSON.parse(text));
    if (!parsed.success)
      throw new Error(`setting ${ENTRIES_KEY} holds something this version did not write`);
    return parsed.data;
  }

  private mutate(change: (entries: StoredEntry[]) => StoredEntry[]): Promise<void> {
    const next = this.writes.then(async () => {
      const entries = change(await this.readEntries());
      await this.deps.store.setSetting(ENTRIES_KEY, JSON.stringify(entries));
    });
    this.writes = next.catch(() => undefined);
    return next;
  }

  /** Past and running live sessions that overlap the window, from the history and current state. */
  private async sessions(from: Instant, to: Instant, now: Instant): Promise<ScheduleEntry[]> {
    const events = [];
    let before = Math.min(to, now + 1);
    for (let page = 0; page < HISTORY_MAX_PAGES; page++) {
      const batch = await this.deps.store.listEvents({ limit: HISTORY_PAGE, before });
      events.push(...batch);
      const oldest = batch[batch.length - 1];
      if (
        batch.length < HISTORY_PAGE ||
        oldest === undefined ||
        oldest.at < from - HISTORY_LOOKBACK_MS
      )
        break;
      before = oldest.at;
    }
    const states = new Map(this.deps.channelStates());
    const names = new Map(events.map((e) => [e.channelId, e.channel.name ?? e.channelId]));
    const sessions = sessionsFromEvents(events);
    const seenLive = new Set<string>();
    const out: ScheduleEntry[] = [];
    for (const s of sessions) {
      const state = states.get(s.channelId);
      let end = s.end;
      if (end === null) {
        const running = state?.liveness === 'live' && state.liveSince === s.start;
        if (running) seenLive.add(s.channelId);
        // A session with no recorded offline that is not the running one ended when the channel went offline.
        else
          end =
            state?.offlineSince != null && state.offlineSince > s.start
              ? state.offlineSince
              : s.start;
      }
      if (s.start >= to || (end ?? now) < from) continue;
      out.push(
        sessionEntry(
          s.channelId,
          names.get(s.channelId) ?? s.channelId,
          s.title,
          s.start,
          end,
          now,
        ),
      );
    }
    for (const [channelId, state] of states) {
      if (
        state.liveness !== 'live' ||
        state.liveSince === null ||
        seenLive.has(channelId) ||
        state.liveSince >= to
      )
        continue;
      out.push(
        sessionEntry(
          channelId,
          state.platformName ?? channelId,
          state.title,
          state.liveSince,
          null,
          now,
        ),
      );
    }
    return out;
  }

  private async refreshLoop(feed: FeedState): Promise<void> {
    await this.refresh(feed);
    if (this.stopped) return;
    feed.timer = this.deps.timers.after(feed.config.refreshMs, () => {
      void this.refreshLoop(feed);
    });
  }

  private async refresh(feed: FeedState): Promise<void> {
    const log = { feed: redactUrl(feed.config.url) };
    const res = await this.deps.http.request(feed.config.url, {
      timeoutMs: this.deps.timeoutMs,
      maxBytes: this.deps.maxBytes,
      maxRedirects: 5,
      headers: { accept: 'text/calendar, */*;q=0.5' },
    });
    // A failed refresh keeps the events of the last good one: a flaky feed must not empty the calendar.
    if (!res.ok) feed.error = res.error;
    else if (res.status !== 200) feed.error = `HTTP ${res.status}`;
    else {
      const parsed = parseICalendar(res.body.toString('utf8'));
      feed.events = parsed.events;
      feed.problems = parsed.problems;
      feed.fetchedAt = this.deps.clock.now();
      feed.error = null;
      this.deps.logger.info(
        { ...log, events: parsed.events.length, problems: parsed.problems.length },
        'calendar feed refreshed',
      );
      return;
    }
    this.deps.logger.warn({ ...log, error: feed.error }, 'calendar feed refresh failed');
  }
}

function sessionEntry(
  channelId: string,
  name: string,
  title: string | null,
  start: Instant,
  end: Instant | null,
  now: Instant,
): ScheduleEntry {
  return {
    id: contentId('session', channelId, start),
    source: 'history',
    channelId,
    title: title === null || title === '' ? name : `${name}: ${title}`,
    description: null,
    url: null,
    start,
    end,
    status: statusAt(start, end, now),
  };
}
