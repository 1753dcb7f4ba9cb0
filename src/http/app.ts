import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { AppError } from '../app/errors.js';
import type { HttpDeps } from './deps.js';
import { errorHandler } from './errors.js';
import { channelRoutes } from './routes/channels.routes.js';
import { eventRoutes } from './routes/events.routes.js';
import { hookRoutes } from './routes/hooks.routes.js';
import { systemRoutes } from './routes/system.routes.js';
import { targetRoutes } from './routes/targets.routes.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route authenticates by other means (a signature, a webhook secret) or not at all. */
    public?: boolean;
  }
}

/** Builds the HTTP app without listening, so tests can inject requests in process. */
export async function buildHttpApp(deps: HttpDeps): Promise<FastifyInstance> {
  const app = Fastify({
    ...(deps.logger === false ? { logger: false } : { loggerInstance: deps.logger }),
    logController: new LogController({ disableRequestLogging: true }),
    forceCloseConnections: true,
    bodyLimit: 256 * 1024,
    routerOptions: { ignoreTrailingSlash: true },
  });
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({ error: { code: 'notFound', message: `no route ${request.method} ${request.url.split('?')[0] ?? ''}`, issues: [] } });
  });
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config.public === true) return;
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    const principal = match ? deps.auth.authenticate(match[1]!.trim()) : null;
    if (!principal) throw new AppError('unauthorized', 'a valid bearer token is required');
  });
  await app.register(systemRoutes(deps));
  await app.register(channelRoutes(deps), { prefix: '/api/v1' });
  await app.register(targetRoutes(deps), { prefix: '/api/v1' });
  await app.register(eventRoutes(deps), { prefix: '/api/v1' });
  await app.register(hookRoutes(deps), { prefix: '/api/v1' });
  return app;
}
