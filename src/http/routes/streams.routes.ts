import type { FastifyPluginAsync } from 'fastify';
import type { Streams } from '../../app/refresher.js';
import { isoOrNull } from '../../core/time.js';
import { redactStreamUrl } from '../../core/tokens/redact-path.js';
import type { PlaybackHttpDeps } from './playback.routes.js';

const iso = isoOrNull;

/** The URL a stream is known by: its multivariant playlist, else its best source. Redacted. */
const urlOf = (streams: Streams | null): string | null =>
  streams === null ? null : redactStreamUrl(streams.master ?? streams.sources[0]!.url);

/** `GET /streams/active`: every active channel's stream, its readers and refresh history. */
export function streamsRoutes(deps: PlaybackHttpDeps): FastifyPluginAsync {
  return async (app) => {
    app.get('/streams/active', { config: { permission: { action: 'read' } } }, async () =>
      deps.refresher.status().map((s) => ({
        channelId: s.channelId,
        originalUrl: urlOf(s.original),
        currentUrl: urlOf(s.current),
        sources: (s.current?.sources ?? []).map((src) => ({
          quality: src.quality,
          url: redactStreamUrl(src.url),
          expiresAt: iso(src.expiresAt ?? null),
        })),
        readers: deps.readers
          .readers(s.channelId)
          .map((r) => ({ kind: r.kind, id: r.id, since: iso(r.since), lastSeen: iso(r.lastSeen) })),
        generation: s.current?.generation ?? 0,
        refreshCount: s.refreshCount,
        lastRefreshAt: iso(s.lastRefreshAt),
        nextRefreshAt: iso(s.nextRefreshAt),
        expiresAt: iso(s.current?.expiresAt ?? null),
        lastError: s.lastError,
      })),
    );
  };
}
