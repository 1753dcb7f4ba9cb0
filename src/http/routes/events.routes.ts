import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { idSchema } from '../../app/inputs.js';
import { mayAccess } from '../../app/keepalives.js';
import { caller } from '../auth.js';
import type { HttpDeps } from '../deps.js';
import { eventView } from '../views.js';
import { keepaliveView } from './keepalives.routes.js';
import { parseInput } from './params.js';

const eventQuery = z.object({
  channel: idSchema.optional(),
  limit: z.coerce.number({ error: 'must be a number' }).int().min(1).max(1000).default(50),
});

export function eventRoutes(deps: HttpDeps): FastifyPluginAsync {
  return async (app) => {
    app.get('/events', async (request) => {
      const query = parseInput(eventQuery, request.query);
      const events = await deps.store.listEvents({
        limit: query.limit,
        ...(query.channel ? { channelId: query.channel } : {}),
      });
      return events.map(eventView);
    });

    /** Server-sent events: every event, state change and delivery outcome as it happens. */
    app.get('/events/stream', (request, reply) => {
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.write(': connected\n\n');
      const principal = caller(request);
      const unsubscribe = deps.bus.subscribe((message) => {
        // A keepalive (with its creator's address) is shown only to its creator and admins.
        if (message.type === 'keepalive' && !mayAccess(principal, message.keepalive)) return;
        const { type, ...rest } = message;
        const data =
          message.type === 'event'
            ? eventView(message.event)
            : message.type === 'keepalive'
              ? { change: message.change, keepalive: keepaliveView(message.keepalive) }
              : rest;
        res.write(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
      });
      const heartbeat = setInterval(() => res.write(': ping\n\n'), deps.heartbeatMs);
      request.raw.on('close', () => {
        clearInterval(heartbeat);
        unsubscribe();
      });
    });
  };
}
