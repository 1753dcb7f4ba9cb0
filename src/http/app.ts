import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { installAuth, type AccessDeps } from './auth.js';
import type { HttpDeps } from './deps.js';
import { errorHandler } from './errors.js';
import { channelRoutes } from './routes/channels.routes.js';
import { eventRoutes } from './routes/events.routes.js';
import { hookRoutes } from './routes/hooks.routes.js';
import { playbackRoutes, type PlaybackHttpDeps } from './routes/playback.routes.js';
import { proxyRoutes } from './routes/proxy.routes.js';
import { recordingRoutes } from './routes/recordings.routes.js';
import type { Recordings } from '../app/recorder/recordings.js';
import { streamsRoutes } from './routes/streams.routes.js';
import { keepaliveRoutes } from './routes/keepalives.routes.js';
import { mediamtxKeepaliveRoutes } from './routes/mediamtx-keepalives.routes.js';
import { sessionRoutes } from './routes/session.routes.js';
import { systemRoutes } from './routes/system.routes.js';
import { targetRoutes } from './routes/targets.routes.js';
import { tokenRoutes } from './routes/tokens.routes.js';
import { userRoutes } from './routes/users.routes.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route authenticates by other means (a signature, a webhook secret) or not at all. */
    public?: boolean;
  }
}

/** Builds the HTTP app without listening, so tests can inject requests in process. */
export async function buildHttpApp(
  deps: HttpDeps & AccessDeps,
  playback?: PlaybackHttpDeps,
  recordings?: Recordings,
): Promise<FastifyInstance> {
  const app = Fastify({
    ...(deps.logger === false ? { logger: false } : { loggerInstance: deps.logger }),
    logController: new LogController({ disableRequestLogging: true }),
    forceCloseConnections: true,
    bodyLimit: 256 * 1024,
    routerOptions: { ignoreTrailingSlash: true },
  });
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({
      error: {
        code: 'notFound',
        message: `no route ${request.method} ${request.url.split('?')[0] ?? ''}`,
        issues: [],
      },
    });
  });
  // Before any route is registered, so that every route gets a permission (default: admin only).
  installAuth(app, deps.auth, deps.limiter);
  await app.register(systemRoutes(deps));
  await app.register(channelRoutes(deps), { prefix: '/api/v1' });
  await app.register(targetRoutes(deps), { prefix: '/api/v1' });
  await app.register(eventRoutes(deps), { prefix: '/api/v1' });
  await app.register(hookRoutes(deps), { prefix: '/api/v1' });
  if (playback) {
    await app.register(playbackRoutes(playback), { prefix: '/api/v1' });
    await app.register(proxyRoutes(playback), { prefix: '/api/v1' });
    await app.register(streamsRoutes(playback), { prefix: '/api/v1' });
  }
  await app.register(userRoutes(deps), { prefix: '/api/v1' });
  await app.register(tokenRoutes(deps), { prefix: '/api/v1' });
  await app.register(sessionRoutes(deps), { prefix: '/api/v1' });
  await app.register(keepaliveRoutes(deps), { prefix: '/api/v1' });
  // mediamtx's proposed keepalive API, for clients written against it.
  await app.register(mediamtxKeepaliveRoutes(deps));
  if (recordings) await app.register(recordingRoutes(recordings), { prefix: '/api/v1' });
  return app;
}
