import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { Schedule } from '../../app/schedule/schedule.js';
import type { ScheduleEntry } from '../../core/calendar/entry.js';
import type { Instant } from '../../core/time.js';
import type { Clock } from '../../ports/clock.js';
import { parseInput } from './params.js';

export interface ScheduleRouteDeps {
  readonly schedule: Schedule;
  readonly clock: Clock;
}

const DAY_MS = 86_400_000;
const MAX_RANGE_MS = 400 * DAY_MS;

const instantParam = z.iso
  .datetime({ offset: true, error: 'must be an ISO 8601 date-time' })
  .transform((s) => Date.parse(s));

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

/** The schedule: feeds, hand-added entries and past sessions, in one list. */
export function scheduleRoutes(deps: ScheduleRouteDeps): FastifyPluginAsync {
  return async (app) => {
    app.get('/schedule', read, async (request) => {
      const { from, to } = parseInput(scheduleQuery, request.query)(deps.clock.now());
      return (await deps.schedule.list(from, to)).map(entryView);
    });

    app.post('/schedule', manage, async (request, reply) =>
      reply.status(201).send(entryView(await deps.schedule.addEntry(request.body))),
    );

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
  };
}
