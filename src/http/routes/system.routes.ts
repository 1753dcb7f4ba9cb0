import type { FastifyPluginAsync } from 'fastify';
import type { HttpDeps } from '../deps.js';
import { openApiDocument } from '../openapi.js';

export function systemRoutes(deps: HttpDeps): FastifyPluginAsync {
  return async (app) => {
    // 503 while a background task fails (the store unreachable or locked, say), with the reasons;
    // the tasks retry by themselves, and it answers 200 again once they succeed.
    app.get('/healthz', { config: { public: true } }, async (_request, reply) => {
      const failing = (deps.health?.() ?? []).filter((t) => t.failures > 0);
      if (failing.length === 0) return { ok: true };
      return reply.code(503).send({
        ok: false,
        failing: failing.map((t) => ({
          task: t.name,
          error: t.lastError,
          failures: t.failures,
          since: t.failingSince === null ? null : new Date(t.failingSince).toISOString(),
        })),
      });
    });
    app.get('/metrics', async (_request, reply) =>
      reply.type(deps.metrics.contentType).send(await deps.metrics.text()),
    );
    const doc = openApiDocument();
    app.get('/api/v1/openapi.json', async () => doc);
  };
}
