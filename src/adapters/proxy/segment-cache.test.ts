import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { FetchScope, Upstream, UpstreamBytes } from '../../app/playback/ports.js';
import { ManualTime } from '../../../test/fakes/manual-time.js';
import { parseRange, resolveRange, SegmentCache } from './segment-cache.js';

/** An origin in memory: each URL names its size; counts fetches per URL. */
function origin(): Upstream & { fetches: Map<string, number> } {
  const fetches = new Map<string, number>();
  return {
    fetches,
    text: async (url) => ({ ok: true, status: 200, url, body: '' }),
    open: async (url, options): Promise<UpstreamBytes> => {
      fetches.set(url, (fetches.get(url) ?? 0) + 1);
      const size = Number(/size=(\d+)/.exec(url)?.[1] ?? 10);
      const body = Buffer.alloc(size, url.length % 251);
      if (options.range !== undefined) {
        const [start, end] = resolveRange(parseRange(options.range)!, size)!;
        return {
          ok: true,
          status: 206,
          headers: {
            'content-range': `bytes ${start}-${end - 1}/${size}`,
            'content-length': String(end - start),
          },
          body: Readable.from([body.subarray(start, end)]),
        };
      }
      return {
        ok: true,
        status: 200,
        headers: { 'content-length': String(size) },
        body: Readable.from([body]),
      };
    },
  };
}

async function read(res: UpstreamBytes): Promise<Buffer> {
  if (!res.ok) throw new Error(res.reason);
  const chunks: Buffer[] = [];
  for await (const chunk of res.body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const scope = (channel: string, cacheMs = 6_000): FetchScope => ({
  channel,
  trusted: new Set(),
  cacheMs,
});

describe('SegmentCache', () => {
  it('serves a cached segment until the playlist window has passed, then fetches again', async () => {
    const time = new ManualTime();
    const up = origin();
    const cache = new SegmentCache({ clock: time, maxBytes: 1_000, perChannelMaxBytes: 1_000 });
    const view = cache.over(up);
    const url = 'http://o/a.ts?size=100';
    await read(await view.open(url, { scope: scope('c') }));
    await read(await view.open(url, { scope: scope('c') }));
    expect(up.fetches.get(url)).toBe(1);
    await time.advance(6_000);
    await read(await view.open(url, { scope: scope('c') }));
    expect(up.fetches.get(url)).toBe(2);
  });

  it('keeps a channel within perChannelMaxBytes, least recently used out', async () => {
    const time = new ManualTime();
    const up = origin();
    const cache = new SegmentCache({ clock: time, maxBytes: 10_000, perChannelMaxBytes: 250 });
    const view = cache.over(up);
    const a = 'http://o/a.ts?size=100';
    const b = 'http://o/b.ts?size=100';
    const c = 'http://o/c.ts?size=100';
    for (const url of [a, b]) await read(await view.open(url, { scope: scope('x') }));
    await read(await view.open(a, { scope: scope('x') })); // a is now the most recent
    await read(await view.open(c, { scope: scope('x') })); // over 250: b goes
    expect(cache.size()).toBeLessThanOrEqual(250);
    await read(await view.open(a, { scope: scope('x') }));
    await read(await view.open(b, { scope: scope('x') }));
    expect(up.fetches.get(a)).toBe(1);
    expect(up.fetches.get(b)).toBe(2);
    // Another channel's segments do not push this channel's out.
    await read(await view.open('http://o/d.ts?size=200', { scope: scope('y') }));
    expect(cache.size()).toBeLessThanOrEqual(450);
  });

  it('answers ranges from the whole segment: 206 with Content-Range, suffix ranges, 416 past the end', async () => {
    const time = new ManualTime();
    const up = origin();
    const view = new SegmentCache({ clock: time, maxBytes: 1_000, perChannelMaxBytes: 1_000 }).over(
      up,
    );
    const url = 'http://o/r.ts?size=300';
    const whole = await read(await view.open(url, { scope: scope('c') }));
    const part = await view.open(url, { range: 'bytes=10-19', scope: scope('c') });
    expect(part.ok && part.status).toBe(206);
    expect(part.ok && part.headers['content-range']).toBe('bytes 10-19/300');
    expect((await read(part)).equals(whole.subarray(10, 20))).toBe(true);
    const suffix = await view.open(url, { range: 'bytes=-5', scope: scope('c') });
    expect((await read(suffix)).equals(whole.subarray(295))).toBe(true);
    const past = await view.open(url, { range: 'bytes=400-', scope: scope('c') });
    expect(past.ok && past.status).toBe(416);
    expect(up.fetches.get(url)).toBe(1);
  });

  it('passes through without a window (cacheMs 0) and shares nothing', async () => {
    const time = new ManualTime();
    const up = origin();
    const view = new SegmentCache({ clock: time, maxBytes: 1_000, perChannelMaxBytes: 1_000 }).over(
      up,
    );
    const url = 'http://o/p.ts?size=50';
    await read(await view.open(url, { scope: scope('c', 0) }));
    await read(await view.open(url, { scope: scope('c', 0) }));
    expect(up.fetches.get(url)).toBe(2);
  });

  it('does not share a segment larger than a channel may hold: each reader gets its own', async () => {
    const time = new ManualTime();
    const up = origin();
    const view = new SegmentCache({ clock: time, maxBytes: 1_000, perChannelMaxBytes: 100 }).over(
      up,
    );
    const url = 'http://o/big.ts?size=500';
    const [one, two] = await Promise.all([
      view.open(url, { scope: scope('c') }),
      view.open(url, { scope: scope('c') }),
    ]);
    expect((await read(one)).length).toBe(500);
    expect((await read(two)).length).toBe(500);
    expect(up.fetches.get(url)).toBe(2);
  });
});
