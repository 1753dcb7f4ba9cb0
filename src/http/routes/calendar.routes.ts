import type { FastifyPluginAsync } from 'fastify';
import { toICalendar } from '../../core/calendar/export.js';
import { parseInput } from './params.js';
import { rangeQuery, type ScheduleRouteDeps } from './schedule.routes.js';

const DAY_MS = 86_400_000;
const exportQuery = rangeQuery(30 * DAY_MS, 90 * DAY_MS);

/** The schedule as an iCalendar feed, for calendar apps. */
export function calendarRoutes(deps: ScheduleRouteDeps): FastifyPluginAsync {
  return async (app) => {
    app.get(
      '/calendar.ics',
      { config: { permission: { action: 'read' } } },
      async (request, reply) => {
        const now = deps.clock.now();
        const { from, to } = parseInput(exportQuery, request.query)(now);
        const text = toICalendar(await deps.schedule.list(from, to), now);
        return reply
          .type('text/calendar; charset=utf-8')
          .header('content-disposition', 'attachment; filename="onair.ics"')
          .send(text);
      },
    );
  };
}
