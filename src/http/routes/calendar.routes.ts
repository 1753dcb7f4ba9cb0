import type { FastifyPluginAsync } from 'fastify';
import { toICalendar } from '../../core/calendar/export.js';
import { caller } from '../auth.js';
import { parseInput } from './params.js';
import { rangeQuery, visibleTo, type ScheduleRouteDeps } from './schedule.routes.js';

const DAY_MS = 86_400_000;
// Not strict: `key` (the calendar key, checked by the access hook) passes through.
const exportQuery = rangeQuery(30 * DAY_MS, 90 * DAY_MS);

/**
 * The schedule as an iCalendar feed, for calendar apps: with a bearer token or session, or with
 * the caller's calendar key in `?key=` (read only). Either way only the channels the caller may
 * read are in it.
 */
export function calendarRoutes(deps: ScheduleRouteDeps): FastifyPluginAsync {
  return async (app) => {
    app.get(
      '/calendar.ics',
      {
        config: {
          permission: { action: 'read', channelInBody: true },
          queryCredential: {
            param: 'key',
            authenticate: (secret, ip) => deps.calendarKeys.authenticate(secret, ip),
          },
        },
      },
      async (request, reply) => {
        const now = deps.clock.now();
        const { from, to } = parseInput(exportQuery, request.query)(now);
        const entries = await deps.schedule.list(from, to, visibleTo(caller(request)));
        const text = toICalendar(entries, now, { refreshMinutes: 60 });
        return reply
          .type('text/calendar; charset=utf-8')
          .header('content-disposition', 'attachment; filename="onair.ics"')
          .header('cache-control', 'private, no-store')
          .send(text);
      },
    );
  };
}
