import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { UserInfo } from '../../app/auth.js';
import { idSchema } from '../../app/inputs.js';
import { isoOrNull } from '../../core/time.js';
import type { AccessDeps } from '../auth.js';
import type { HttpDeps } from '../deps.js';
import { parseInput } from './params.js';

const nameParams = z.object({ name: idSchema });
const admin = { config: { permission: { action: 'admin' } } } as const;

export function userView(user: UserInfo) {
  return {
    name: user.name,
    permissions: user.permissions,
    allowedIps: user.allowedIps,
    source: user.source,
    createdAt: isoOrNull(user.createdAt),
  };
}

/** Users: config users (read-only here) and API users. Admins only. */
export function userRoutes(
  deps: Pick<HttpDeps & AccessDeps, 'auth' | 'keepalives'>,
): FastifyPluginAsync {
  return async (app) => {
    app.get('/users', admin, async () => (await deps.auth.listUsers()).map(userView));

    app.post('/users', admin, async (request, reply) =>
      reply.status(201).send(userView(await deps.auth.createUser(request.body))),
    );

    app.get('/users/:name', admin, async (request) => {
      const { name } = parseInput(nameParams, request.params);
      return userView(await deps.auth.getUser(name));
    });

    app.patch('/users/:name', admin, async (request) => {
      const { name } = parseInput(nameParams, request.params);
      return userView(await deps.auth.updateUser(name, request.body));
    });

    /** Deletes an API user with its tokens, sessions and keepalives. */
    app.delete('/users/:name', admin, async (request, reply) => {
      const { name } = parseInput(nameParams, request.params);
      await deps.auth.deleteUser(name);
      // None of them may pass to a later user of the same name.
      await deps.keepalives.userDeleted(name);
      return reply.status(204).send();
    });
  };
}
