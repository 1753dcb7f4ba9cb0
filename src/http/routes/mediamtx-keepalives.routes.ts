import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { StoredKeepalive } from '../../ports/store.js';
import { caller, type AccessDeps } from '../auth.js';
import { parseInput } from './params.js';

/** `{name}` of the proposal: the channel id. */
const channelParams = z.object({ channelId: z.string().min(1).max(100) });
const idParams = z.object({ id: z.string().min(1).max(100) });
/** mediamtx's paging: `page` from 0, `itemsPerPage` 100 by default. */
const listQuery = z.object({
  page: z.coerce.number().int().min(0).default(0),
  itemsPerPage: z.coerce.number().int().min(1).max(1_000).default(100),
});
const anyUser = { config: { permission: 'authenticated' } } as const;

/** A keepalive as the mediamtx proposal shows it: `path` is the channel id. */
export function mediamtxKeepaliveView(keepalive: StoredKeepalive) {
  return {
    id: keepalive.id,
    created: new Date(keepalive.createdAt).toISOString(),
    path: keepalive.channelId,
    creatorUser: keepalive.creatorUser,
    creatorIP: keepalive.creatorIp,
  };
}

/**
 * The keepalive routes of the mediamtx Control API proposal (bluenviron/mediamtx PR #5196), as
 * aliases of `/api/v1/keepalives` with the same permissions and ownership: adding needs the
 * `keepalive` permission on the channel `{name}`; getting and removing need to be its creator
 * or an admin; the list is the caller's own (everyone's for an admin). A JSON body on `add` may
 * give onair's own `ttl`, `mode` and `record`.
 */
export function mediamtxKeepaliveRoutes(deps: Pick<AccessDeps, 'keepalives'>): FastifyPluginAsync {
  return async (app) => {
    app.post(
      '/v3/paths/keepalive/add/:channelId',
      { config: { permission: { action: 'keepalive', channelParam: 'channelId' } } },
      async (request) => {
        const { channelId } = parseInput(channelParams, request.params);
        const extra = isRecord(request.body) ? request.body : {};
        const keepalive = await deps.keepalives.create(caller(request), request.ip, {
          ...extra,
          channel: channelId,
        });
        return { id: keepalive.id };
      },
    );

    app.delete('/v3/paths/keepalive/remove/:id', anyUser, async (request, reply) => {
      const { id } = parseInput(idParams, request.params);
      await deps.keepalives.remove(caller(request), id);
      return reply.status(200).send();
    });

    app.get('/v3/paths/keepalive/list', anyUser, async (request) => {
      const { page, itemsPerPage } = parseInput(listQuery, request.query);
      const all = await deps.keepalives.list(caller(request));
      return {
        pageCount: Math.ceil(all.length / itemsPerPage),
        itemCount: all.length,
        items: all.slice(page * itemsPerPage, (page + 1) * itemsPerPage).map(mediamtxKeepaliveView),
      };
    });

    app.get('/v3/paths/keepalive/get/:id', anyUser, async (request) => {
      const { id } = parseInput(idParams, request.params);
      return mediamtxKeepaliveView(await deps.keepalives.get(caller(request), id));
    });
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
