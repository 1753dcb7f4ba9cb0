import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { PLAYLIST_TYPE } from '../../core/hls/content-type.js';
import { deliveryDirectives } from '../../core/hls/rewrite.js';
import type { PlaybackHttpDeps } from './playback.routes.js';

/**
 * On every proxy answer: CORS for any origin (the URLs are the capability), and — since proxied
 * bytes are served from onair's own origin — no type sniffing and a sandbox, so nothing an origin
 * sends can run script with the web app's origin, whatever it is.
 */
const CORS = {
  'access-control-allow-origin': '*',
  'access-control-expose-headers': 'content-length, content-range, accept-ranges',
  'x-content-type-options': 'nosniff',
  'content-security-policy': 'sandbox',
};

/**
 * The HLS proxy: `GET /proxy/:name?t=<token>`. Public — players cannot send a bearer header — and
 * safe because the token is sealed by onair and expires; the name is decoration for players
 * that sniff extensions. CORS allows any origin (the URLs are the capability).
 */
export function proxyRoutes(deps: PlaybackHttpDeps): FastifyPluginAsync {
  return async (app) => {
    app.options('/proxy/:name', { config: { public: true } }, async (_request, reply) =>
      reply
        .status(204)
        .headers({
          ...CORS,
          'access-control-allow-methods': 'GET, OPTIONS',
          'access-control-allow-headers': 'range',
          'access-control-max-age': '86400',
        })
        .send(),
    );

    app.get('/proxy/:name', { config: { public: true } }, async (request, reply) => {
      const query = request.query as Record<string, unknown>;
      const token = typeof query['t'] === 'string' ? query['t'] : '';
      const range = request.headers.range;
      const result = await deps.playback.serve(
        token,
        deliveryDirectives(query),
        typeof range === 'string' ? range : undefined,
      );
      return send(reply, result);
    });
  };
}

function send(
  reply: FastifyReply,
  result: Awaited<ReturnType<PlaybackHttpDeps['playback']['serve']>>,
): FastifyReply {
  switch (result.kind) {
    case 'playlist':
      return reply
        .status(200)
        .headers({
          ...CORS,
          'content-type': result.contentType ?? PLAYLIST_TYPE,
          'cache-control': 'no-cache',
        })
        .send(result.body);
    case 'bytes':
      return reply
        .status(result.status)
        .headers({ ...result.headers, ...CORS })
        .send(result.body);
    case 'error':
      return reply
        .status(result.status)
        .headers(CORS)
        .send({
          error: {
            code: result.status === 403 ? 'forbidden' : 'upstream',
            message: result.message,
            issues: [],
          },
        });
  }
}
