import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { sendTestNotification } from '../../app/delivery-worker.js';
import { AppError } from '../../app/errors.js';
import type { HttpDeps } from '../deps.js';
import { deliveryView, targetView } from '../views.js';
import { idParams, parseInput } from './params.js';

const deliveryQuery = z.object({
  status: z.enum(['pending', 'sent', 'failed']).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export function targetRoutes(deps: HttpDeps): FastifyPluginAsync {
  const view = (t: Parameters<typeof targetView>[0]) => targetView(t, deps.notifiers.get(t.type));
  return async (app) => {
    app.get('/targets', async () => (await deps.store.listTargets()).map(view));

    app.post('/targets', async (request, reply) =>
      reply.status(201).send(view(await deps.catalog.createTarget(request.body))),
    );

    app.get('/targets/:id', async (request) => {
      const { id } = parseInput(idParams, request.params);
      const target = await deps.store.getTarget(id);
      if (!target) throw new AppError('notFound', `no target "${id}"`);
      return view(target);
    });

    const update = async (request: { params: unknown; body: unknown }) => {
      const { id } = parseInput(idParams, request.params);
      return view(await deps.catalog.updateTarget(id, request.body));
    };
    app.patch('/targets/:id', update);
    app.put('/targets/:id', update);

    app.delete('/targets/:id', async (request, reply) => {
      const { id } = parseInput(idParams, request.params);
      await deps.catalog.deleteTarget(id);
      return reply.status(204).send();
    });

    /** Sends a test message now and answers what the provider said (secrets never included). */
    app.post('/targets/:id/test', async (request) => {
      const { id } = parseInput(idParams, request.params);
      const target = await deps.store.getTarget(id);
      if (!target) throw new AppError('notFound', `no target "${id}"`);
      const notifier = deps.notifiers.get(target.type);
      if (!notifier) throw new AppError('notFound', `no notifier for type "${target.type}"`);
      const result = await sendTestNotification(
        notifier,
        target,
        Date.now(),
        AbortSignal.timeout(60_000),
      );
      return result.ok
        ? { ok: true, detail: result.detail, messageId: result.messageId }
        : {
            ok: false,
            error: result.error,
            retryable: result.retryable,
            retryAfterMs: result.retryAfterMs,
          };
    });

    /** The outbox for one target: pending retries with their last error, sent and failed. */
    app.get('/targets/:id/deliveries', async (request) => {
      const { id } = parseInput(idParams, request.params);
      const query = parseInput(deliveryQuery, request.query);
      if (!(await deps.store.getTarget(id))) throw new AppError('notFound', `no target "${id}"`);
      const rows = await deps.store.listDeliveries({
        targetId: id,
        limit: query.limit,
        ...(query.status ? { status: query.status } : {}),
      });
      return rows.map(deliveryView);
    });
  };
}
