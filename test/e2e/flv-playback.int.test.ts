import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UndiciHttpClient } from '../../src/adapters/http-client/undici-http-client.js';
import { systemClock, systemTimers } from '../../src/adapters/time/system-time.js';
import type { Channel } from '../../src/core/model.js';
import { playbackRoutes } from '../../src/http/routes/playback.routes.js';
import { proxyRoutes } from '../../src/http/routes/proxy.routes.js';
import { KeepaliveReader } from '../../src/app/keepalive-reader.js';
import { createPlayback } from '../../src/main.js';
import { waitFor } from './hls-peers.js';
import { run, startFlvSource } from './record-peers.js';

const peersInstalled = ['/usr/bin/ffmpeg', '/usr/bin/ffprobe'].every((p) => existsSync(p));

/**
 * HTTP-FLV playback through the proxy (issue 18, item 4): a real ffmpeg HTTP-FLV source, onair's
 * playback stack as `createPlayback` composes it, and ffprobe as the player.
 */
describe.skipIf(!peersInstalled)('HTTP-FLV playback through the proxy', () => {
  const dir = mkdtempSync(join(tmpdir(), 'onair-flv-playback-'));
  let source: Awaited<ReturnType<typeof startFlvSource>>;
  let app: FastifyInstance;
  let base: string;
  let playback: Awaited<ReturnType<typeof createPlayback>>;
  let http: UndiciHttpClient;

  beforeAll(async () => {
    const file = join(dir, 'live.flv');
    // prettier-ignore
    const encoded = await run('ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-nostdin', '-y',
      '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100',
      '-t', '60', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '25',
      '-c:a', 'aac', '-f', 'flv', file,
    ]);
    if (encoded.code !== 0) throw new Error(`ffmpeg could not encode: ${encoded.stderr}`);
    source = await startFlvSource(file);
    const channel: Channel = {
      id: 'cam',
      platform: 'flv',
      // A path that does not end in `.flv` (the source serves it all the same): only the FLV
      // extractor saying `format: 'flv'` makes this an FLV channel for playback.
      url: `${source.url}/live.flv/`,
      name: null,
      intervalMs: null,
      options: {},
    };
    const settings = new Map<string, string>();
    http = new UndiciHttpClient({ connectionsPerOrigin: 4, userAgent: 'onair-e2e' });
    playback = await createPlayback({
      config: {
        refresh: { interval: 240_000, closeAfter: 10_000 },
        extractors: [],
        poll: { timeout: 10_000 },
      },
      store: {
        getChannel: async (id) =>
          id === channel.id
            ? { ...channel, source: 'config', createdAt: 0, updatedAt: 0 }
            : undefined,
        getSetting: async (key) => settings.get(key),
        setSetting: async (key, value) => {
          settings.set(key, value);
        },
      },
      clock: systemClock,
      timers: systemTimers,
      logger: pino({ level: process.env['ONAIR_E2E_LOG'] ?? 'silent' }),
      http,
    });
    app = Fastify({ forceCloseConnections: true });
    await app.register(playbackRoutes(playback), { prefix: '/api/v1' });
    await app.register(proxyRoutes(playback), { prefix: '/api/v1' });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
  }, 120_000);

  afterAll(async () => {
    await app.close();
    await playback.stop();
    await http.close();
    await source.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const flvUrl = async (): Promise<string> => {
    const res = await fetch(`${base}/api/v1/channels/cam/playback`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    // One proxied FLV URL, not an HLS wrapping of it.
    expect(Object.keys(body)).toStrictEqual(['flv']);
    const url = body['flv'] as string;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/v1\/proxy\/live\.flv\?t=[\w-]+/);
    // No upstream URL leaks into it.
    expect(url).not.toContain(source.url.split('//')[1]!);
    return url;
  };

  it('answers { flv } with a proxy URL whose bytes ffprobe reads as FLV with H.264 and AAC', async () => {
    const url = await flvUrl();
    const probe = await run(
      'ffprobe',
      [
        '-v',
        'error',
        '-show_entries',
        'format=format_name:stream=codec_type,codec_name',
        '-of',
        'json',
        url,
      ],
      60_000,
    );
    expect(probe.code, probe.stderr).toBe(0);
    const info = JSON.parse(probe.stdout) as {
      format: { format_name: string };
      streams: { codec_type: string; codec_name: string }[];
    };
    expect(info.format.format_name).toBe('flv');
    expect(info.streams.map((s) => `${s.codec_type}:${s.codec_name}`).sort()).toStrictEqual([
      'audio:aac',
      'video:h264',
    ]);
  });

  it('streams for as long as the player reads, keeping the viewer a reader until it hangs up', async () => {
    const url = await flvUrl();
    const controller = new AbortController();
    const res = await fetch(url, { signal: controller.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('video/x-flv');
    const reader = res.body!.getReader();
    let received = 0;
    let head = Buffer.alloc(0);
    // More than the proxy's 15-s playlist timeout that used to end FLV playback with a 502.
    const started = Date.now();
    while (Date.now() - started < 17_000) {
      const { value, done } = (await reader.read()) as { done: boolean; value?: Uint8Array };
      if (done || value === undefined) break;
      if (head.length < 3) head = Buffer.concat([head, value]);
      received += value.length;
    }
    expect(head.subarray(0, 3).toString('latin1')).toBe('FLV');
    // 17 s of a -re stream at a few hundred kb/s: far more than any error body.
    expect(received).toBeGreaterThan(100_000);
    const viewers = () => playback.readers.readers('cam').filter((r) => r.kind === 'viewer').length;
    // The session's own viewer plus this stream's (the playback call made one each).
    expect(viewers()).toBeGreaterThan(0);
    controller.abort();
    await reader.cancel().catch(() => undefined);
    // The stream's viewer leaves when its request closes; the idle sweep takes the rest.
    await waitFor(() => viewers() === 0, 60_000, 'the viewers to be released');
  }, 120_000);

  it('a keepalive reads the FLV stream as it flows, holding no viewer, and hangs up when stopped', async () => {
    const connections = source.children.size;
    const reader = new KeepaliveReader(
      {
        player: playback.playback,
        clock: systemClock,
        timers: systemTimers,
        retryMs: 1_000,
        retryMaxMs: 5_000,
      },
      'cam',
      'keepalive-1',
      'playlist',
    );
    reader.start();
    try {
      await waitFor(() => reader.stats().bytes > 50_000, 30_000, 'FLV bytes read');
      expect(reader.stats().lastError).toBeNull();
      expect(source.children.size).toBe(connections + 1);
      // Its reads acquire no viewer: the keepalive holds its own reader.
      expect(playback.readers.readers('cam').filter((r) => r.id === 'keepalive-1')).toStrictEqual(
        [],
      );
    } finally {
      await reader.stop();
    }
    await waitFor(
      () => source.children.size === connections,
      30_000,
      'the source connection to close',
    );
  }, 90_000);

  it('negative twin: a tampered token is refused before anything is fetched (ffprobe fails)', async () => {
    const url = await flvUrl();
    const tampered = url.replace(/t=([\w-])/, (_m, c: string) => `t=${c === 'A' ? 'B' : 'A'}`);
    const connectionsBefore = source.children.size;
    const probe = await run('ffprobe', ['-v', 'error', '-show_format', tampered], 30_000);
    expect(probe.code).not.toBe(0);
    expect(probe.stderr).toMatch(/403/);
    expect(source.children.size).toBe(connectionsBefore);
  });
});
