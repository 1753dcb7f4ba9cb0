import type { FastifyPluginAsync } from 'fastify';
import { AppError } from '../../app/errors.js';
import type { Playback } from '../../app/playback/playback.js';
import type { Readers } from '../../app/readers.js';
import type { Refresher } from '../../app/refresher.js';
import { idParams, parseInput } from './params.js';

/** What the playback, proxy and streams routes talk to. */
export interface PlaybackHttpDeps {
  readonly playback: Playback;
  readonly refresher: Refresher;
  readonly readers: Readers;
}

/**
 * `GET /channels/:id/playback`: proxy URLs for a player (`master` and `variants` for HLS, `flv`
 * for an HTTP-FLV channel); the caller becomes a viewer reader.
 */
export function playbackRoutes(deps: PlaybackHttpDeps): FastifyPluginAsync {
  return async (app) => {
    app.get(
      '/channels/:id/playback',
      { config: { permission: { action: 'read', channelParam: 'id' } } },
      async (request, reply) => {
        const { id } = parseInput(idParams, request.params);
        const started = await deps.playback.start(id);
        if (!started.ok) {
          if (started.status === 404) throw new AppError('notFound', started.reason);
          // The origin or the extractor failed (timeout, 5xx): a gateway error, with the (URL-free) reason.
          return reply
            .status(502)
            .send({ error: { code: 'upstream', message: started.reason, issues: [] } });
        }
        const origin = `${request.protocol}://${request.host}`;
        // An HTTP-FLV channel is one stream, not HLS: the player needs an FLV demuxer (mpegts.js).
        if (started.kind === 'flv') return { flv: `${origin}${started.flv}` };
        return {
          master: `${origin}${started.master}`,
          variants: started.variants.map((v) => ({ ...v, url: `${origin}${v.url}` })),
        };
      },
    );
  };
}
