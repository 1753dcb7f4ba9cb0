import Fastify, { type FastifyInstance } from 'fastify';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HmacTokenSealer } from '../../src/adapters/proxy/token-sealer.js';
import { UndiciUpstream } from '../../src/adapters/proxy/undici-upstream.js';
import { Playback } from '../../src/app/playback/playback.js';
import { SharedPlaylists } from '../../src/app/playback/shared-playlists.js';
import { Readers } from '../../src/app/readers.js';
import { Refresher } from '../../src/app/refresher.js';
import type { Channel } from '../../src/core/model.js';
import type { Extractor } from '../../src/ports/extractor.js';
import { playbackRoutes } from '../../src/http/routes/playback.routes.js';
import { proxyRoutes } from '../../src/http/routes/proxy.routes.js';
import { streamsRoutes } from '../../src/http/routes/streams.routes.js';
import { listen, type Running } from '../fake-servers/listen.js';
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
const SEGMENT = randomBytes(200_000);

/**
 * A CDN-like origin: everything lives under `/t/<token>/live/`; only the current token works,
 * an older one answers 410 (like nginx secure_link expiry). Counts every request it gets.
 */
class Origin {
  token = 'tokAAAAAAAAAAAAAAAAAAAA1';
  hits: string[] = [];
  running!: Running;

  async start(): Promise<void> {
    this.running = await listen((req, res) => {
      this.hits.push(req.url ?? '');
      const m = /^\/t\/([^/]+)\/live\/(.+)$/.exec((req.url ?? '').split('?')[0]!);
      if (!m) return void res.writeHead(404).end();
      if (m[1] !== this.token) return void res.writeHead(410).end();
      if (m[2] === 'index.m3u8') {
        res.writeHead(200, { 'content-type': 'application/vnd.apple.mpegurl' });
        return void res.end(
          '#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:7\n#EXTINF:2,\nseg_7.ts\n#EXTINF:2,\nseg_8.ts\n',
        );
      }
      if (/^seg_\d+\.ts$/.test(m[2]!)) {
        const range = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
        if (range) {
          const [start, end] = [Number(range[1]), Number(range[2])];
          res.writeHead(206, {
            'content-type': 'video/mp2t',
            'content-range': `bytes ${start}-${end}/${SEGMENT.length}`,
            'content-length': String(end - start + 1),
          });
          return void res.end(SEGMENT.subarray(start, end + 1));
        }
        res.writeHead(200, {
          'content-type': 'video/mp2t',
          'content-length': String(SEGMENT.length),
        });
        return void res.end(SEGMENT);
      }
      res.writeHead(404).end();
    });
  }

  get playlistUrl(): string {
    return `${this.running.url}/t/${this.token}/live/index.m3u8`;
  }
}

describe('HLS proxy (in process, fake origin)', () => {
  const origin = new Origin();
  const time = new ManualTime(Date.now());
  let resolves = 0;
  let app: FastifyInstance;
  let upstream: UndiciUpstream;
  let refresher: Refresher;
  let readers: Readers;
  const channels = new Map<string, Channel>();
  const extractor: Extractor = {
    id: 'test',
    resolve: async () => {
      resolves++;
      return { ok: true, sources: [{ url: origin.playlistUrl, quality: 'best' }] };
    },
  };

  beforeAll(async () => {
    await origin.start();
    channels.set('cam', {
      id: 'cam',
      platform: 'hls',
      url: 'http://x.invalid/',
      name: null,
      intervalMs: null,
      options: {},
    });
    upstream = new UndiciUpstream({
      userAgent: 'test',
      connectionsPerOrigin: 8,
      maxPlaylistBytes: 1 << 20,
    });
    refresher = new Refresher({
      clock: time,
      timers: time,
      logger: silent,
      intervalMs: 240_000,
      retryMs: 1_000,
      timeoutMs: 5_000,
      channel: async (id) => channels.get(id),
      extractorFor: () => extractor,
    });
    readers = new Readers({
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
    const playback = new Playback({
      clock: time,
      timers: time,
      logger: silent,
      readers,
      refresher,
      sealer: new HmacTokenSealer(randomBytes(32)),
      upstream,
      playlists: new SharedPlaylists({
        upstream,
        clock: time,
        fraction: 0.5,
        multivariantMs: 5_000,
        timeoutMs: 5_000,
      }),
      channelExists: async (id) => channels.has(id),
      newViewerId: () => `viewer-${Math.random().toString(36).slice(2)}`,
      basePath: '/api/v1/proxy',
      playlistTokenMs: 3_600_000,
      segmentTokenMs: 600_000,
    });
    app = Fastify();
    const deps = { playback, refresher, readers };
    await app.register(playbackRoutes(deps), { prefix: '/api/v1' });
    await app.register(proxyRoutes(deps), { prefix: '/api/v1' });
    await app.register(streamsRoutes(deps), { prefix: '/api/v1' });
    await app.ready();
  });

  afterAll(async () => {
    readers.stop();
    refresher.stop();
    await app.close();
    await upstream.close();
    await origin.running.close();
  });

  beforeEach(() => {
    origin.hits = [];
  });

  const get = (url: string, headers: Record<string, string> = {}) =>
    app.inject({ method: 'GET', url, headers });
  const path = (absolute: string) => {
    const u = new URL(absolute);
    return `${u.pathname}${u.search}`;
  };
  /** Proxy URLs in a playlist, as paths (they are relative to the playlist's own URL). */
  const urisIn = (body: string, base: string) =>
    body
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('#'))
      .map((l) => path(new URL(l, `http://h${base}`).href));

  async function firstSegment() {
    const started = await get('/api/v1/channels/cam/playback');
    expect(started.statusCode).toBe(200);
    const body = started.json<{ master: string; variants: { url: string; quality: string }[] }>();
    const master = await get(path(body.master));
    expect(master.statusCode).toBe(200);
    const variantPath = urisIn(master.body, path(body.master))[0]!;
    const variant = await get(variantPath);
    expect(variant.statusCode).toBe(200);
    return {
      body,
      variantPath,
      variant: variant.body,
      segmentPath: urisIn(variant.body, variantPath)[0]!,
    };
  }

  it('plays: playback URLs are proxy URLs, playlists rewritten, segments streamed byte for byte', async () => {
    const { body, variant, segmentPath } = await firstSegment();
    expect(body.variants).toHaveLength(1);
    expect(JSON.stringify(body)).not.toContain(origin.running.url);
    expect(JSON.stringify(body)).not.toContain(origin.token);
    expect(variant).toContain('#EXT-X-MEDIA-SEQUENCE:7');
    expect(variant).not.toContain(origin.token);
    const segment = await get(segmentPath);
    expect(segment.statusCode).toBe(200);
    expect(segment.headers['access-control-allow-origin']).toBe('*');
    expect(segment.rawPayload.equals(SEGMENT)).toBe(true);
  });

  it('forwards range requests', async () => {
    const { segmentPath } = await firstSegment();
    const part = await get(segmentPath, { range: 'bytes=100-199' });
    expect(part.statusCode).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 100-199/${SEGMENT.length}`);
    expect(part.rawPayload.equals(SEGMENT.subarray(100, 200))).toBe(true);
  });

  it('answers a CORS preflight without a token check', async () => {
    const res = await app.inject({
      method: 'OPTIONS',
      url: '/api/v1/proxy/media.ts?t=x',
      headers: { origin: 'http://a', 'access-control-request-headers': 'range' },
    });
    expect(res.statusCode).toBe(204);
    expect(res.headers['access-control-allow-headers']).toBe('range');
  });

  it('refetches a segment whose token expired between playlist and fetch, with one refresh for many requests', async () => {
    const { segmentPath } = await firstSegment();
    const before = resolves;
    origin.token = `tok${randomBytes(12).toString('hex')}`; // the old token now answers 410
    const answers = await Promise.all(Array.from({ length: 5 }, () => get(segmentPath)));
    for (const res of answers) {
      expect(res.statusCode).toBe(200);
      expect(res.rawPayload.equals(SEGMENT)).toBe(true);
    }
    expect(resolves - before).toBe(1);
    const active = (await get('/api/v1/streams/active')).json<
      {
        channelId: string;
        refreshCount: number;
        currentUrl: string;
        originalUrl: string;
        readers: unknown[];
      }[]
    >();
    const cam = active.find((a) => a.channelId === 'cam')!;
    expect(cam.refreshCount).toBeGreaterThanOrEqual(1);
    expect(cam.readers.length).toBeGreaterThan(0);
    expect(cam.currentUrl).toContain('/t/REDACTED/live/index.m3u8');
    expect(JSON.stringify(active)).not.toContain(origin.token);
  });

  it('keeps serving a variant playlist URL across refreshes (the player holds it for the session)', async () => {
    const { variantPath } = await firstSegment();
    origin.token = `tok${randomBytes(12).toString('hex')}`;
    const again = await get(variantPath);
    expect(again.statusCode).toBe(200);
    expect(again.body).toContain('#EXTINF:2,');
  });

  it('shares playlist fetches among viewers (single flight + short cache)', async () => {
    const { variantPath } = await firstSegment();
    await time.advance(5_000);
    await get(variantPath); // settles any refresh an earlier test's token change left pending
    await time.advance(5_000); // past the cache lifetime of that fetch
    origin.hits = [];
    const answers = await Promise.all(Array.from({ length: 20 }, () => get(variantPath)));
    expect(answers.every((a) => a.statusCode === 200)).toBe(true);
    expect(
      origin.hits.filter((h) => h.endsWith('index.m3u8')),
      origin.hits.join(' '),
    ).toHaveLength(1);
  });

  it('does not cache LL-HLS blocking requests across different directive values', async () => {
    const { variantPath } = await firstSegment();
    await time.advance(5_000);
    origin.hits = [];
    await get(`${variantPath}&_HLS_msn=9&_HLS_part=0`);
    await get(`${variantPath}&_HLS_msn=10&_HLS_part=0`);
    expect(origin.hits.filter((h) => h.includes('index.m3u8'))).toEqual([
      expect.stringContaining('_HLS_msn=9&_HLS_part=0'),
      expect.stringContaining('_HLS_msn=10&_HLS_part=0'),
    ]);
  });

  describe('refuses proxy URLs onair did not sign, with no upstream request', () => {
    const forged = (payload: unknown) => new HmacTokenSealer(randomBytes(32)).seal(payload);
    const target = (u: string) => ({
      c: 'cam',
      v: 'v',
      g: 1,
      e: Date.now() + 3_600_000,
      pl: false,
      l: { t: 'child', u, i: 'seg:1', p: { t: 'master' } },
    });

    it.each([
      ['garbage', () => 'not-a-token'],
      ['a random base64url blob', () => randomBytes(120).toString('base64url')],
      [
        'signed with another key, pointing at the origin',
        () => forged(target(`${origin.running.url}/t/${origin.token}/live/seg_7.ts`)),
      ],
      [
        'signed with another key, pointing at loopback',
        () => forged(target('http://127.0.0.1:22/')),
      ],
      [
        'signed with another key, pointing at a private range',
        () => forged(target('http://10.0.0.1/admin')),
      ],
      [
        'signed with another key, pointing at link-local metadata',
        () => forged(target('http://169.254.169.254/latest/meta-data/')),
      ],
    ])('%s', async (_name, make) => {
      const res = await get(`/api/v1/proxy/media.ts?t=${make()}`);
      expect(res.statusCode).toBe(403);
      expect(origin.hits).toEqual([]);
    });

    it('a tampered token', async () => {
      const { segmentPath } = await firstSegment();
      origin.hits = [];
      const token = new URL(segmentPath, 'http://h').searchParams.get('t')!;
      const flipped = token.slice(0, 30) + (token[30] === 'A' ? 'B' : 'A') + token.slice(31);
      const res = await get(segmentPath.replace(token, flipped));
      expect(res.statusCode).toBe(403);
      expect(origin.hits).toEqual([]);
    });

    it('an expired token', async () => {
      const { segmentPath } = await firstSegment();
      origin.hits = [];
      time.set(time.now() + 601_000); // segment URLs live 10 minutes here
      const res = await get(segmentPath);
      expect(res.statusCode).toBe(403);
      expect(res.json<{ error: { message: string } }>().error.message).toBe('proxy URL expired');
      expect(origin.hits).toEqual([]);
    });

    it('a token for a channel deleted since (at most the 1 s existence cache later)', async () => {
      const { segmentPath } = await firstSegment();
      const channel = channels.get('cam')!;
      channels.delete('cam');
      try {
        time.set(time.now() + 1_001);
        origin.hits = [];
        const res = await get(segmentPath);
        expect(res.statusCode).toBe(403);
        expect(res.json<{ error: { message: string } }>().error.message).toBe(
          'proxy URL for an unknown channel',
        );
        expect(origin.hits).toEqual([]);
      } finally {
        channels.set('cam', channel);
      }
    });
  });
});
