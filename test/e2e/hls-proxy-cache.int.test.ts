import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { listen, type Running } from '../fake-servers/listen.js';
import { startProxyStack, urisIn } from './hls-proxy-stack.js';

const SEGMENTS = 3;
const BYTES = 100_000;
const bodies = Array.from({ length: SEGMENTS }, () => randomBytes(BYTES));

/**
 * A live origin on 127.0.0.1 that counts segment requests and sends each segment in two halves
 * with a pause between, so viewers arrive while a fetch is still running.
 */
class CountingOrigin {
  readonly hits = new Map<string, number>();
  running!: Running;
  async start(): Promise<void> {
    this.running = await listen((req, res) => {
      const path = (req.url ?? '').split('?')[0]!;
      if (path === '/live/index.m3u8') {
        const lines = ['#EXTM3U', '#EXT-X-TARGETDURATION:2', '#EXT-X-MEDIA-SEQUENCE:40'];
        for (let i = 0; i < SEGMENTS; i++) lines.push('#EXTINF:2.0,', `seg_${40 + i}.ts`);
        res.writeHead(200, { 'content-type': 'application/vnd.apple.mpegurl' });
        res.end(`${lines.join('\n')}\n`);
        return;
      }
      const m = /^\/live\/seg_(\d+)\.ts$/.exec(path);
      const body = m ? bodies[Number(m[1]) - 40] : undefined;
      if (!body) return void res.writeHead(404).end();
      this.hits.set(path, (this.hits.get(path) ?? 0) + 1);
      res.writeHead(200, { 'content-type': 'video/mp2t', 'content-length': String(body.length) });
      res.write(body.subarray(0, BYTES / 2));
      trickle(res, body.subarray(BYTES / 2));
    });
  }
}

/** The origin's second half, sent a moment later (the origin is slow, the test waits for nothing). */
function trickle(res: ServerResponse, rest: Buffer): void {
  setTimeout(() => res.end(rest), 30);
}

describe('segment cache: 100 concurrent viewers of one live channel', () => {
  const origin = new CountingOrigin();
  beforeAll(() => origin.start());
  afterAll(() => origin.running.close());
  beforeEach(() => {
    origin.hits.clear();
  });

  async function watch(perChannelMaxBytes: number): Promise<void> {
    const stack = await startProxyStack({
      streamUrl: `${origin.running.url}/live/index.m3u8`,
      perChannelMaxBytes,
    });
    try {
      const viewers = await Promise.all(
        Array.from({ length: 100 }, async () => {
          const variant = await stack.variantPath();
          const playlist = await stack.get(variant);
          expect(playlist.statusCode).toBe(200);
          return urisIn(playlist.body, variant);
        }),
      );
      const answers = await Promise.all(
        viewers.flatMap((segments) => segments.map((s) => stack.get(s))),
      );
      for (const [k, res] of answers.entries()) {
        expect(res.statusCode).toBe(200);
        expect(res.headers['content-type']).toBe('video/mp2t');
        expect(res.rawPayload.equals(bodies[k % SEGMENTS]!)).toBe(true);
      }
      if (perChannelMaxBytes === 0) return;
      // A range of a cached segment comes from the cache too (this origin ignores Range).
      const first = viewers[0]![0]!;
      const part = await stack.get(first, { range: 'bytes=1000-1999' });
      expect(part.statusCode).toBe(206);
      expect(part.headers['content-range']).toBe(`bytes 1000-1999/${BYTES}`);
      expect(part.rawPayload.equals(bodies[0]!.subarray(1000, 2000))).toBe(true);
    } finally {
      await stack.stop();
    }
  }

  it('the origin serves each segment once (single flight, readers join the running fetch)', async () => {
    await watch(32 << 20);
    expect(origin.hits.size).toBe(SEGMENTS);
    for (const [path, count] of origin.hits) expect(count, path).toBe(1);
  });

  it('negative twin: with no cache for the channel (perChannelMaxBytes 0) the origin serves each many times', async () => {
    await watch(0);
    expect(origin.hits.size).toBe(SEGMENTS);
    for (const [path, count] of origin.hits) expect(count, path).toBeGreaterThan(1);
  });
});
