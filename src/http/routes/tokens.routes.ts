import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { isoOrNull } from '../../core/time.js';
import type { StoredToken } from '../../ports/store.js';
import { caller } from '../auth.js';
import type { HttpDeps } from '../deps.js';
import { parseInput } from './params.js';

// Any id that is not a token's is simply unknown (404), well-formed or not.
const tokenParams = z.object({ id: z.string().min(1).max(100) });
const anyUser = { config: { permission: 'authenticated' } } as const;

/** A token without its secret (only its hash is kept, and that is never shown either). */
function tokenView(token: StoredToken) {
  return {
    id: token.id,
    user: token.userName,
    name: token.name,
    createdAt: isoOrNull(token.createdAt),
    expiresAt: isoOrNull(token.expiresAt),
  };
}

/** API tokens: anyone may manage their own; admins everyone's. */
export function tokenRoutes(deps: Pick<HttpDeps, 'auth'>): FastifyPluginAsync {
  return async (app) => {
    /** The response is the only time the token is shown. */
    app.post('/tokens', anyUser, async (request, reply) => {
      const { token, secret } = await deps.auth.createToken(caller(request), request.body);
      return reply
        .status(201)
        .header('cache-control', 'no-store')
        .send({ ...tokenView(token), token: secret });
    });

    app.get('/tokens', anyUser, async (request) =>
      (await deps.auth.listTokens(caller(request))).map(tokenView),
    );

    /** Revokes the token and ends the web sessions opened with it. */
    app.delete('/tokens/:id', anyUser, async (request, reply) => {
      const { id } = parseInput(tokenParams, request.params);
      await deps.auth.revokeToken(caller(request), id);
      return reply.status(204).send();
    });
  };
}
