import type { FastifyPluginAsync } from 'fastify';
import type { HttpDeps } from '../deps.js';
import { openApiDocument } from '../openapi.js';

export function systemRoutes(deps: HttpDeps): FastifyPluginAsync {
  return async (app) => {
    app.get('/healthz', { config: { public: true } }, async () => ({ ok: true }));
    app.get('/metrics', async (_request, reply) =>
      reply.type(deps.metrics.contentType).send(await deps.metrics.text()),
    );
    const doc = openApiDocument();
    app.get('/api/v1/openapi.json', async () => doc);
  };
}
