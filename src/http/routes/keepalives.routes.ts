import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { ReadStats } from '../../app/keepalive-reader.js';
import type { StoredKeepalive } from '../../ports/store.js';
import { caller, type AccessDeps } from '../auth.js';
import { parseInput } from './params.js';

// Any id that is not a keepalive's is simply unknown (404), well-formed or not.
const keepaliveParams = z.object({ id: z.string().min(1).max(100) });
const anyUser = { config: { permission: 'authenticated' } } as const;

/**
 * The API (and event stream) representation of a keepalive; `read` says what it has read in the
 * process that holds it (null elsewhere, and in event messages).
 */
export function keepaliveView(keepalive: StoredKeepalive, read: ReadStats | null = null) {
  return {
    id: keepalive.id,
    channel: keepalive.channelId,
    createdAt: new Date(keepalive.createdAt).toISOString(),
    expiresAt: new Date(keepalive.expiresAt).toISOString(),
    creatorUser: keepalive.creatorUser,
    creatorIp: keepalive.creatorIp,
    record: keepalive.record,
    mode: keepalive.mode,
    read:
      read === null
        ? null
        : {
            lastReadAt: read.lastReadAt === null ? null : new Date(read.lastReadAt).toISOString(),
            bytes: read.bytes,
            reads: read.reads,
            lastError: read.lastError,
            lastErrorAt:
              read.lastErrorAt === null ? null : new Date(read.lastErrorAt).toISOString(),
          },
  };
}

/**
 * Keepalives: creating one needs the `keepalive` permission on its channel (checked by the
 * service, since the channel is in the body); listing, reading and removing need ownership.
 */
export function keepaliveRoutes(deps: Pick<AccessDeps, 'keepalives'>): FastifyPluginAsync {
  return async (app) => {
    app.post(
      '/keepalives',
      { config: { permission: { action: 'keepalive', channelInBody: true } } },
      async (request, reply) => {
        const keepalive = await deps.keepalives.create(caller(request), request.ip, request.body);
        return reply
          .status(201)
          .send(keepaliveView(keepalive, deps.keepalives.stats(keepalive.id)));
      },
    );

    app.get('/keepalives', anyUser, async (request) =>
      (await deps.keepalives.list(caller(request))).map((k) =>
        keepaliveView(k, deps.keepalives.stats(k.id)),
      ),
    );

    app.get('/keepalives/:id', anyUser, async (request) => {
      const { id } = parseInput(keepaliveParams, request.params);
      const keepalive = await deps.keepalives.get(caller(request), id);
      return keepaliveView(keepalive, deps.keepalives.stats(keepalive.id));
    });

    app.delete('/keepalives/:id', anyUser, async (request, reply) => {
      const { id } = parseInput(keepaliveParams, request.params);
      await deps.keepalives.remove(caller(request), id);
      return reply.status(204).send();
    });
  };
}
