import { z } from 'zod';
import { sessionsFromEvents, statusAt, type ScheduleEntry } from '../../core/calendar/entry.js';
import { ExpandedCalendar } from '../../core/calendar/expand.js';
import { parseICalendar } from '../../core/calendar/ical.js';
import { contentId } from '../../core/event-id.js';
import type { ChannelState } from '../../core/model.js';
import { redactUrl } from '../../core/redact.js';
import type { Instant } from '../../core/time.js';
import type { Clock } from '../../ports/clock.js';
import type { HttpClient } from '../../ports/http-client.js';
import type { Logger } from '../../ports/logger.js';
import type { ScheduleStore, Store, StoredScheduleEntry } from '../../ports/store.js';
import { AppError } from '../errors.js';
import { idSchema, zodIssues, zonedDateTimeSchema } from '../inputs.js';
import type { PlatformScheduleReader, PlatformSlot } from './platform-schedule.js';

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
  /** What could not be read exactly (zones, rules the library cannot expand, …), one line each. */
  readonly problems: readonly string[];
}

/** A platform schedule's last refresh, per channel. */
export interface PlatformStatus {
  readonly channel: string;
  readonly platform: string;
  readonly fetchedAt: Instant | null;
  readonly entries: number;
  readonly error: string | null;
}

export interface ScheduleDeps {
  readonly store: Pick<Store, 'listEvents' | 'listChannels'> &
    Pick<
      ScheduleStore,
      | 'listScheduleEntries'
      | 'getScheduleEntry'
      | 'insertScheduleEntry'
      | 'updateScheduleEntry'
      | 'deleteScheduleEntry'
      | 'countScheduleEntries'
    >;
  readonly http: HttpClient;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly feeds: readonly FeedConfig[];
  /** Platforms whose channels publish their own schedule (Twitch). */
  readonly platforms?: readonly PlatformScheduleReader[];
  /** How often platform schedules are read again. */
  readonly platformRefreshMs?: number;
  /** Current state of every channel (for sessions still live). */
  readonly channelStates: () => Iterable<readonly [string, ChannelState]>;
  readonly timeoutMs: number;
  readonly maxBytes: number;
}

const isoDateTime = zonedDateTimeSchema;

/** What can be added by hand through the API. */
export const manualEntrySchema = z
  .strictObject({
    title: z.string({ error: 'is required' }).trim().min(1).max(300),
    start: isoDateTime,
    end: isoDateTime.optional(),
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

/** `PATCH /schedule/:id`: the fields to change; `null` clears an optional one. */
export const entryChangeSchema = z
  .strictObject({
    title: z.string().trim().min(1).max(300).optional(),
    start: isoDateTime.optional(),
    end: isoDateTime.nullable().optional(),
    channel: idSchema.nullable().optional(),
    description: z.string().max(4_000).nullable().optional(),
    url: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
      .nullable()
      .optional(),
  })
  .refine((c) => Object.keys(c).length > 0, { message: 'nothing to change' });

const MAX_ENTRIES = 2_000;
/** History is read back this far before the window, so a session that began earlier still shows. */
const HISTORY_LOOKBACK_MS = 2 * 86_400_000;
const HISTORY_PAGE = 1_000;
const HISTORY_MAX_PAGES = 20;
const DEFAULT_PLATFORM_REFRESH_MS = 3_600_000;

interface FeedState {
  readonly config: FeedConfig;
  calendar: ExpandedCalendar;
  events: number;
  fetchedAt: Instant | null;
  error: string | null;
  problems: readonly string[];
}

interface PlatformState {
  readonly platform: string;
  slots: readonly PlatformSlot[];
  fetchedAt: Instant | null;
  error: string | null;
}

/** A background refresh the composition root runs under its supervisor. */
export interface RefreshTask {
  readonly name: string;
  readonly everyMs: number;
  run(): Promise<void>;
}

/** Who may see which entries: a channel's entries need read on it; null: entries without a channel. */
export type EntryFilter = (channelId: string | null) => boolean;

/**
 * The schedule: upcoming streams from iCalendar feeds and from the platforms' own schedules,
 * entries added by hand (their own table), and past live sessions rebuilt from the history.
 * Refreshing is the caller's to run (`tasks()`), under its supervisor.
 */
export class Schedule {
  private readonly deps: ScheduleDeps;
  private readonly feeds: FeedState[];
  private readonly platformStates = new Map<string, PlatformState>();

  constructor(deps: ScheduleDeps) {
    this.deps = deps;
    this.feeds = deps.feeds.map((config) => ({
      config,
      calendar: new ExpandedCalendar([]),
      events: 0,
      fetchedAt: null,
      error: null,
      problems: [],
    }));
  }

  /**
   * The refreshes to run: each feed on its own interval, and platform schedules on the shortest
   * feed interval (an hour without feeds). In a cluster every process refreshes for itself: the
   * results live in memory, so a lease would leave the other processes without them.
   */
  tasks(): RefreshTask[] {
    const tasks: RefreshTask[] = this.feeds.map((feed, i) => ({
      name: `schedule-feed-${i}`,
      everyMs: feed.config.refreshMs,
      run: () => this.refresh(feed),
    }));
    if ((this.deps.platforms ?? []).length > 0)
      tasks.push({
        name: 'schedule-platforms',
        everyMs:
          this.deps.platformRefreshMs ??
          Math.min(DEFAULT_PLATFORM_REFRESH_MS, ...this.feeds.map((f) => f.config.refreshMs)),
        run: () => this.refreshPlatforms(),
      });
    return tasks;
  }

  /** Fetches every feed and platform schedule now (the admin's "refresh" button, and tests). */
  async refreshAll(): Promise<FeedStatus[]> {
    await Promise.all([...this.feeds.map((f) => this.refresh(f)), this.refreshPlatforms()]);
    return this.feedStatus();
  }

  feedStatus(): FeedStatus[] {
    return this.feeds.map((f) => ({
      url: redactUrl(f.config.url),
      channel: f.config.channel ?? null,
      fetchedAt: f.fetchedAt,
      events: f.events,
      error: f.error,
      problems: [...f.problems, ...f.calendar.problems()].slice(0, 50),
    }));
  }

  platformStatus(): PlatformStatus[] {
    return [...this.platformStates].map(([channel, s]) => ({
      channel,
      platform: s.platform,
      fetchedAt: s.fetchedAt,
      entries: s.slots.length,
      error: s.error,
    }));
  }

  /** Every entry overlapping `[from, to)` that `visible` lets through, sorted by start. */
  async list(
    from: Instant,
    to: Instant,
    visible: EntryFilter = () => true,
  ): Promise<ScheduleEntry[]> {
    const now = this.deps.clock.now();
    const entries: ScheduleEntry[] = [];
    for (const feed of this.feeds) {
      if (!visible(feed.config.channel ?? null)) continue;
      for (const o of feed.calendar.between(from, to)) {
        entries.push({
          id: contentId('feed', feed.config.url, o.event.uid, o.start),
          source: 'feed',
          channelId: feed.config.channel ?? null,
          title: o.event.summary ?? o.event.location ?? '(untitled)',
          description: o.event.description,
          url: o.event.url,
          start: o.start,
          end: o.end,
          allDay: o.event.allDay,
          status: statusAt(o.start, o.end, now),
        });
      }
    }
    for (const [channelId, state] of this.platformStates) {
      if (!visible(channelId)) continue;
      for (const slot of state.slots) {
        if (slot.start >= to || (slot.end ?? slot.start) < from) continue;
        entries.push({
          id: contentId('platform', channelId, slot.id),
          source: 'platform',
          channelId,
          title: slot.title,
          description: slot.description,
          url: slot.url,
          start: slot.start,
          end: slot.end,
          allDay: false,
          status: statusAt(slot.start, slot.end ?? slot.start, now),
        });
      }
    }
    for (const e of await this.deps.store.listScheduleEntries({ from, to })) {
      if (visible(e.channelId)) entries.push(manualView(e, now));
    }
    for (const e of await this.sessions(from, to, now)) if (visible(e.channelId)) entries.push(e);
    return entries.sort((a, b) => a.start - b.start || a.id.localeCompare(b.id));
  }

  async addEntry(body: unknown): Promise<ScheduleEntry> {
    const parsed = manualEntrySchema.safeParse(body);
    if (!parsed.success) throw AppError.invalid(zodIssues(parsed.error));
    const input = parsed.data;
    const start = Date.parse(input.start);
    const created = this.deps.clock.now();
    const entry: StoredScheduleEntry = {
      id: contentId('manual', input.title, start, input.channel ?? '', created),
      title: input.title,
      start,
      end: input.end === undefined ? null : Date.parse(input.end),
      channelId: input.channel ?? null,
      description: input.description ?? null,
      url: input.url ?? null,
      createdAt: created,
      updatedAt: created,
    };
    if ((await this.deps.store.countScheduleEntries()) >= MAX_ENTRIES)
      throw new AppError(
        'conflict',
        `at most ${MAX_ENTRIES} hand-added entries; delete old ones first`,
      );
    if (!(await this.deps.store.insertScheduleEntry(entry)))
      throw new AppError('conflict', 'the same entry was just added');
    return manualView(entry, created);
  }

  async getEntry(id: string): Promise<ScheduleEntry> {
    const entry = await this.deps.store.getScheduleEntry(id);
    if (!entry) throw new AppError('notFound', `no hand-added schedule entry "${id}"`);
    return manualView(entry, this.deps.clock.now());
  }

  /** Changes one hand-added entry; what the body leaves out stays as it was. */
  async updateEntry(id: string, body: unknown): Promise<ScheduleEntry> {
    const parsed = entryChangeSchema.safeParse(body);
    if (!parsed.success) throw AppError.invalid(zodIssues(parsed.error));
    const change = parsed.data;
    const existing = await this.deps.store.getScheduleEntry(id);
    if (!existing) throw new AppError('notFound', `no hand-added schedule entry "${id}"`);
    const now = this.deps.clock.now();
    const next = {
      title: change.title ?? existing.title,
      start: change.start === undefined ? existing.start : Date.parse(change.start),
      end:
        change.end === undefined
          ? existing.end
          : change.end === null
            ? null
            : Date.parse(change.end),
      channelId: change.channel === undefined ? existing.channelId : change.channel,
      description: change.description === undefined ? existing.description : change.description,
      url: change.url === undefined ? existing.url : change.url,
      updatedAt: now,
    };
    if (next.end !== null && next.end < next.start)
      throw AppError.invalid([{ path: 'end', message: 'must not be before start' }]);
    if (!(await this.deps.store.updateScheduleEntry(id, next)))
      throw new AppError('notFound', `no hand-added schedule entry "${id}"`);
    return manualView({ ...existing, ...next }, now);
  }

  async removeEntry(id: string): Promise<void> {
    if (!(await this.deps.store.deleteScheduleEntry(id)))
      throw new AppError('notFound', `no hand-added schedule entry "${id}"`);
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
      feed.calendar = new ExpandedCalendar(parsed.events);
      feed.events = parsed.events.length;
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

  /** Reads the platform schedule of every channel on a platform that has one. */
  private async refreshPlatforms(): Promise<void> {
    const readers = this.deps.platforms ?? [];
    if (readers.length === 0) return;
    const channels = await this.deps.store.listChannels();
    const now = this.deps.clock.now();
    const seen = new Set<string>();
    for (const channel of channels) {
      const reader = readers.find((r) => r.platform === channel.platform);
      if (!reader) continue;
      seen.add(channel.id);
      const state = this.platformStates.get(channel.id) ?? {
        platform: reader.platform,
        slots: [],
        fetchedAt: null,
        error: null,
      };
      this.platformStates.set(channel.id, state);
      const result = await reader.upcoming(channel, now);
      // Like a feed: a failed read keeps the last good slots.
      if (!result.ok) {
        state.error = result.error;
        this.deps.logger.warn(
          { channelId: channel.id, error: result.error },
          'platform schedule refresh failed',
        );
        continue;
      }
      state.slots = result.slots;
      state.fetchedAt = now;
      state.error = null;
    }
    for (const id of [...this.platformStates.keys()])
      if (!seen.has(id)) this.platformStates.delete(id);
  }
}

function manualView(e: StoredScheduleEntry, now: Instant): ScheduleEntry {
  return {
    id: e.id,
    source: 'manual',
    channelId: e.channelId,
    title: e.title,
    description: e.description,
    url: e.url,
    start: e.start,
    end: e.end,
    allDay: false,
    status: statusAt(e.start, e.end ?? e.start, now),
  };
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
    allDay: false,
    status: statusAt(start, end, now),
  };
}
