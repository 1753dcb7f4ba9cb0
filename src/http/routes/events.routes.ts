import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { idSchema } from '../../app/inputs.js';
import { mayAccess } from '../../app/keepalives.js';
import { caller, watchAccess } from '../auth.js';
import { AppError } from '../../app/errors.js';
import type { Principal } from '../../app/auth.js';
import type { BusMessage } from '../../ports/event-bus.js';
import type { HttpDeps } from '../deps.js';
import { missedEvents, sseMessage, StreamSlots } from '../event-stream.js';
import { eventView } from '../views.js';
import { keepaliveView } from './keepalives.routes.js';
import { parseInput } from './params.js';

const eventQuery = z.object({
  channel: idSchema.optional(),
  limit: z.coerce.number({ error: 'must be a number' }).int().min(1).max(1000).default(50),
  /** `true`: each event lists its deliveries, so an announced event no target got can say so. */
  deliveries: z.enum(['true', 'false'], { error: 'must be true or false' }).default('false'),
});

export function eventRoutes(deps: HttpDeps): FastifyPluginAsync {
  return async (app) => {
    app.get('/events', async (request) => {
      const query = parseInput(eventQuery, request.query);
      const events = await deps.store.listEvents({
        limit: query.limit,
        ...(query.channel ? { channelId: query.channel } : {}),
      });
      if (query.deliveries === 'false') return events.map(eventView);
      // One indexed lookup per event (deliveries are unique per event and target).
      return Promise.all(
        events.map(async (e) => ({
          ...eventView(e),
          deliveries: (await deps.store.listDeliveries({ eventId: e.id, limit: 1000 })).map(
            (d) => ({ target: d.targetId, status: d.status }),
          ),
        })),
      );
    });

    const slots = new StreamSlots(deps.eventStream);
    /** What one bus message shows this caller, or null. */
    const view = (principal: Principal, message: BusMessage): string | null => {
      // A keepalive (with its creator's address) is shown only to its creator and admins.
      if (message.type === 'keepalive' && !mayAccess(principal, message.keepalive)) return null;
      const { type: _type, ...rest } = message;
      const data =
        message.type === 'event'
          ? eventView(message.event)
          : message.type === 'keepalive'
            ? { change: message.change, keepalive: keepaliveView(message.keepalive) }
            : rest;
      return sseMessage(message, data);
    };

    /**
     * Server-sent events: every event, state change and delivery outcome as it happens. Events
     * carry `id:`; a client reconnecting with `Last-Event-ID` first gets what it missed.
     */
    app.get('/events/stream', async (request, reply) => {
      const principal = caller(request);
      const slot = slots.take(principal.name);
      if (!slot.ok) throw new AppError('rateLimited', slot.reason);
      const lastId = request.headers['last-event-id'];
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      const send = (chunk: string): void => {
        if (res.destroyed) return;
        res.write(chunk);
        // A client that stops reading is dropped, not buffered for without bound.
        if (res.writableLength > deps.eventStream.maxUnsentBytes) {
          request.log.warn(
            { user: principal.name, unsent: res.writableLength },
            'event stream client does not read: dropped',
          );
          res.destroy();
        }
      };
      send(': connected\n\n');
      // Live messages that arrive while the missed ones are read wait behind them.
      let held: BusMessage[] | null = typeof lastId === 'string' && lastId !== '' ? [] : null;
      const unsubscribe = deps.bus.subscribe((message) => {
        if (held) held.push(message);
        else {
          const chunk = view(principal, message);
          if (chunk !== null) send(chunk);
        }
      });
      const heartbeat = setInterval(() => {
        send(': ping\n\n');
      }, deps.heartbeatMs);
      // The response closes however the stream ends: the client left, was dropped, or lost access.
      res.on('close', () => {
        slot.release();
        clearInterval(heartbeat);
        unsubscribe();
      });
      // Revoking the token, session or user (or its permission) ends the stream.
      const unwatch = watchAccess(deps.auth, request, () => res.end());
      request.raw.on('close', () => {
        clearInterval(heartbeat);
        unsubscribe();
        unwatch();
      });
      if (held === null || typeof lastId !== 'string') return;
      try {
        const missed = await missedEvents(deps.store, lastId, deps.eventStream.replay);
        if (missed === null)
          send(
            `event: reset\ndata: ${JSON.stringify({ reason: 'Last-Event-ID is not among the recent events: reload' })}\n\n`,
          );
        const replayed = new Set<string>();
        for (const event of missed ?? []) {
          replayed.add(event.id);
          send(sseMessage({ type: 'event', event }, eventView(event)));
        }
        for (const message of held) {
          if (message.type === 'event' && replayed.has(message.event.id)) continue;
          const chunk = view(principal, message);
          if (chunk !== null) send(chunk);
        }
      } catch (err) {
        // The client reconnects with the same Last-Event-ID once the store answers again.
        request.log.warn({ err }, 'could not replay missed events');
        res.destroy();
      } finally {
        held = null;
      }
    });
  };
}
