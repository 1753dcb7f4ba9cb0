import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import {
  caller,
  refuseFailure,
  sessionCookie,
  setSessionCookie,
  type AccessDeps,
} from '../auth.js';
import { isoOrNull } from '../../core/time.js';
import type { HttpDeps } from '../deps.js';
import { parseInput } from './params.js';

const loginBody = z.strictObject({
  token: z.string({ error: 'is required' }).min(1, 'is required'),
});

/** Web sessions: trade a token for an httpOnly cookie, so the web UI never holds the token. */
export function sessionRoutes(
  deps: Pick<HttpDeps, 'auth'> & Pick<AccessDeps, 'limiter'>,
): FastifyPluginAsync {
  return async (app) => {
    /** Public: the token in the body is the credential; a wrong one counts towards the failure rate limit. */
    app.post('/session', { config: { public: true } }, async (request, reply) => {
      const { token } = parseInput(loginBody, request.body);
      const session = await deps.auth.openSession(token, request.ip);
      if (!session) refuseFailure(deps.limiter, request, reply, 'invalid token');
      setSessionCookie(request, reply, session.value, session.ttlMs);
      return {
        user: session.principal.name,
        admin: session.principal.admin,
        permissions: session.principal.permissions,
        expiresAt: isoOrNull(session.expiresAt),
      };
    });

    /** Who the caller is (the web UI asks this at start). */
    app.get('/session', { config: { permission: 'authenticated' } }, async (request) => {
      const principal = caller(request);
      return { user: principal.name, admin: principal.admin, permissions: principal.permissions };
    });

    /** Public so that a stale cookie can always be cleared; revokes the session it names. */
    app.delete('/session', { config: { public: true } }, async (request, reply) => {
      const value = sessionCookie(request);
      if (value !== undefined) await deps.auth.closeSession(value);
      setSessionCookie(request, reply, null);
      return reply.status(204).send();
    });
  };
}
