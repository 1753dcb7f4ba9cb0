import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify';
import { randomBytes } from 'node:crypto';
import { SegmentCache } from '../../src/adapters/proxy/segment-cache.js';
import { HmacTokenSealer } from '../../src/adapters/proxy/token-sealer.js';
import { UndiciUpstream } from '../../src/adapters/proxy/undici-upstream.js';
import { Playback } from '../../src/app/playback/playback.js';
import type { TokenSealer, Upstream } from '../../src/app/playback/ports.js';
import { SharedPlaylists } from '../../src/app/playback/shared-playlists.js';
import { Readers } from '../../src/app/readers.js';
import { Refresher } from '../../src/app/refresher.js';
import type { Channel } from '../../src/core/model.js';
import { playbackRoutes } from '../../src/http/routes/playback.routes.js';
import { proxyRoutes } from '../../src/http/routes/proxy.routes.js';
import { ManualTime } from '../fakes/manual-time.js';

const silent = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silent;
  },
};

export interface StackOptions {
  /** The URL the extractor resolves (the channel's stream). */
  readonly streamUrl: string;
  /** The channel's configured URL (default: an address nothing resolves). */
  readonly channelUrl?: string;
  readonly perChannelMaxBytes?: number;
  readonly allowAddresses?: readonly string[];
  /** An upstream in place of undici (in-memory origins). */
  readonly upstream?: Upstream;
  readonly sealer?: TokenSealer;
}

/**
 * onair's playback stack in process — undici upstream with the address policy, segment cache,
 * shared playlists, Playback, proxy routes — over one channel `cam`, with a manual clock.
 */
export async function startProxyStack(options: StackOptions): Promise<{
  app: FastifyInstance;
  playback: Playback;
  cache: SegmentCache;
  stop(): Promise<void>;
  /** GET through the app; returns status, headers and body. */
  get(path: string, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  /** Starts playback and returns the first variant playlist's proxy path. */
  variantPath(): Promise<string>;
}> {
  const time = new ManualTime(Date.now());
  const channel: Channel = {
    id: 'cam',
    platform: 'hls',
    url: options.channelUrl ?? 'http://channel.invalid/',
    name: null,
    intervalMs: null,
    options: {},
  };
  const undici = new UndiciUpstream({
    userAgent: 'test',
    connectionsPerOrigin: 32,
    maxPlaylistBytes: 4 << 20,
    allowAddresses: options.allowAddresses ?? [],
  });
  const cache = new SegmentCache({
    clock: time,
    maxBytes: 64 << 20,
    perChannelMaxBytes: options.perChannelMaxBytes ?? 32 << 20,
  });
  const upstream = cache.over(options.upstream ?? undici);
  const refresher = new Refresher({
    clock: time,
    timers: time,
    logger: silent,
    intervalMs: 240_000,
    retryMs: 1_000,
    timeoutMs: 5_000,
    channel: async (id) => (id === 'cam' ? channel : undefined),
    extractorFor: () => ({
      id: 'test',
      resolve: async () => ({ ok: true, sources: [{ url: options.streamUrl, quality: 'best' }] }),
    }),
  });
  const readers = new Readers({
    clock: time,
    timers: time,
    closeAfterMs: 10_000,
    viewerIdleMs: 30_000,
    onActive: (id) => {
      refresher.activate(id);
    },
    onInactive: (id) => {
      refresher.deactivate(id);
    },
  });
  let viewers = 0;
  const playback = new Playback({
    clock: time,
    timers: time,
    logger: silent,
    readers,
    refresher,
    sealer: options.sealer ?? new HmacTokenSealer(randomBytes(32)),
    upstream,
    playlists: new SharedPlaylists({
      upstream,
      clock: time,
      fraction: 0.5,
      multivariantMs: 5_000,
      timeoutMs: 5_000,
    }),
    channelExists: async (id) => id === 'cam',
    channelUrl: async (id) => (id === 'cam' ? channel.url : undefined),
    newViewerId: () => `viewer-${viewers++}`,
    basePath: '/api/v1/proxy',
    playlistTokenMs: 3_600_000,
    segmentTokenMs: 600_000,
  });
  const app = Fastify();
  const deps = { playback, refresher, readers };
  await app.register(playbackRoutes(deps), { prefix: '/api/v1' });
  await app.register(proxyRoutes(deps), { prefix: '/api/v1' });
  await app.ready();
  const get = (path: string, headers: Record<string, string> = {}) =>
    app.inject({ method: 'GET', url: path, headers });
  return {
    app,
    playback,
    cache,
    get,
    async variantPath() {
      const started = await get('/api/v1/channels/cam/playback');
      if (started.statusCode !== 200) throw new Error(`playback: ${started.statusCode}`);
      const url = new URL(started.json<{ variants: { url: string }[] }>().variants[0]!.url);
      return `${url.pathname}${url.search}`;
    },
    async stop() {
      readers.stop();
      refresher.stop();
      await app.close();
      await undici.close();
    },
  };
}

/** The proxy paths a playlist served at `base` lists (URI lines and `URI="…"` attributes). */
export function urisIn(body: string, base: string): string[] {
  const out: string[] = [];
  for (const line of body.split('\n')) {
    if (line === '') continue;
    const raw = line.startsWith('#') ? /URI="([^"]+)"/.exec(line)?.[1] : line;
    if (raw === undefined) continue;
    const u = new URL(raw, `http://h${base}`);
    out.push(`${u.pathname}${u.search}`);
  }
  return out;
}
