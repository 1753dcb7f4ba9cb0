import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { CalendarKeys } from '../../app/schedule/calendar-keys.js';
import type { EntryFilter, Schedule } from '../../app/schedule/schedule.js';
import { allows } from '../../app/permissions.js';
import type { Principal } from '../../app/auth.js';
import { zonedDateTimeSchema } from '../../app/inputs.js';
import type { ScheduleEntry } from '../../core/calendar/entry.js';
import type { Instant } from '../../core/time.js';
import type { Clock } from '../../ports/clock.js';
import { caller } from '../auth.js';
import { parseInput } from './params.js';

export interface ScheduleRouteDeps {
  readonly schedule: Schedule;
  readonly calendarKeys: CalendarKeys;
  readonly clock: Clock;
}

/**
 * What a caller may see: a channel's entries need `read` on it; entries tied to no channel need
 * `read` on every channel (they may concern any of them).
 */
export function visibleTo(principal: Principal): EntryFilter {
  return (channelId) =>
    allows(principal.permissions, 'read', channelId === null ? 'all' : { channel: channelId });
}

const DAY_MS = 86_400_000;
const MAX_RANGE_MS = 400 * DAY_MS;

const instantParam = zonedDateTimeSchema.transform((s) => Date.parse(s));

/** `from`/`to` as ISO date-times, defaulting to a window around now; refuses ranges over 400 days. */
export function rangeQuery(defaultBackMs: number, defaultAheadMs: number) {
  return z
    .object({ from: instantParam.optional(), to: instantParam.optional() })
    .refine((q) => q.from === undefined || q.to === undefined || q.to > q.from, {
      path: ['to'],
      message: 'must be after from',
    })
    .refine((q) => q.from === undefined || q.to === undefined || q.to - q.from <= MAX_RANGE_MS, {
      path: ['to'],
      message: 'range must be at most 400 days',
    })
    .transform((q) => (now: Instant) => {
      const from =
        q.from ??
        (q.to === undefined ? now - defaultBackMs : q.to - defaultBackMs - defaultAheadMs);
      return { from, to: q.to ?? from + defaultBackMs + defaultAheadMs };
    });
}

const iso = (t: Instant | null) => (t === null ? null : new Date(t).toISOString());

export function entryView(e: ScheduleEntry) {
  return { ...e, start: iso(e.start), end: iso(e.end) };
}

const scheduleQuery = rangeQuery(7 * DAY_MS, 35 * DAY_MS);
const entryParams = z.object({ id: z.string().min(1).max(64) });
/** The schedule spans every channel: reading it needs `read`, changing it `manage`, on all of them. */
const read = { config: { permission: { action: 'read' } } } as const;
const manage = { config: { permission: { action: 'manage' } } } as const;
/** Read on some channel: the handler narrows what it returns to the channels the caller may read. */
const readSome = { config: { permission: { action: 'read', channelInBody: true } } } as const;

/** The schedule: feeds, hand-added entries and past sessions, in one list. */
export function scheduleRoutes(deps: ScheduleRouteDeps): FastifyPluginAsync {
  return async (app) => {
    // Anyone who may read some channel sees the entries of the channels they may read.
    app.get('/schedule', readSome, async (request) => {
      const { from, to } = parseInput(scheduleQuery, request.query)(deps.clock.now());
      return (await deps.schedule.list(from, to, visibleTo(caller(request)))).map(entryView);
    });

    app.post('/schedule', manage, async (request, reply) =>
      reply.status(201).send(entryView(await deps.schedule.addEntry(request.body))),
    );

    app.get('/schedule/:id', read, async (request) => {
      const { id } = parseInput(entryParams, request.params);
      return entryView(await deps.schedule.getEntry(id));
    });

    // One hand-added entry at a time: only the fields given change.
    app.patch('/schedule/:id', manage, async (request) => {
      const { id } = parseInput(entryParams, request.params);
      return entryView(await deps.schedule.updateEntry(id, request.body));
    });

    app.delete('/schedule/:id', manage, async (request, reply) => {
      const { id } = parseInput(entryParams, request.params);
      await deps.schedule.removeEntry(id);
      return reply.status(204).send();
    });

    app.get('/schedule/feeds', read, async () =>
      deps.schedule.feedStatus().map((f) => ({ ...f, fetchedAt: iso(f.fetchedAt) })),
    );

    app.post('/schedule/feeds/refresh', manage, async () =>
      (await deps.schedule.refreshAll()).map((f) => ({ ...f, fetchedAt: iso(f.fetchedAt) })),
    );

    app.get('/schedule/platforms', read, async () =>
      deps.schedule.platformStatus().map((p) => ({ ...p, fetchedAt: iso(p.fetchedAt) })),
    );

    // The caller's calendar key: calendar apps subscribe to `calendar.ics?key=<secret>`.
    app.get('/calendar/key', readSome, async (request) => {
      const info = await deps.calendarKeys.show(caller(request));
      return { exists: info.exists, createdAt: iso(info.createdAt) };
    });

    app.post('/calendar/key', readSome, async (request, reply) => {
      const { secret, createdAt } = await deps.calendarKeys.create(caller(request));
      const path = `/api/v1/calendar.ics?key=${secret}`;
      return reply.status(201).send({
        key: secret,
        createdAt: iso(createdAt),
        path,
        url: `${request.protocol}://${request.host}${path}`,
      });
    });

    app.delete('/calendar/key', readSome, async (request, reply) => {
      await deps.calendarKeys.revoke(caller(request));
      return reply.status(204).send();
    });
  };
}
