import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { HmacTokenSealer } from '../../src/adapters/proxy/token-sealer.js';
import type { Upstream } from '../../src/app/playback/ports.js';
import { planRewrite } from '../../src/core/hls/rewrite.js';
import { startProxyStack } from './hls-proxy-stack.js';

const URL_BASE = 'https://cdn.example/live/index.m3u8';

/** A media playlist of about `bytes` bytes (long segment URLs with a token, like a CDN's). */
function bigPlaylist(bytes: number): string {
  const lines = ['#EXTM3U', '#EXT-X-TARGETDURATION:2', '#EXT-X-MEDIA-SEQUENCE:0'];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const pair = `#EXTINF:2.000,\nhttps://cdn.example/live/seg_${String(i).padStart(7, '0')}.ts?token=0123456789abcdef`;
    lines.push(pair);
    size += pair.length + 1;
  }
  return `${lines.join('\n')}\n`;
}

/** An origin in memory: the cost measured is onair's own, not the network's. */
function memoryUpstream(text: string): Upstream {
  return {
    text: async (url) => ({ ok: true, status: 200, url, body: text }),
    open: async () => ({ ok: true, status: 200, headers: {}, body: Readable.from([]) }),
  };
}

/**
 * CPU time of this process so far, ms. Stretches are measured in CPU time, not wall time: on a
 * loaded machine a process waiting for a core would otherwise look like a blocked loop.
 */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1_000;
}

/** The longest stretch the event loop was held while `work` ran, in CPU ms (a setImmediate ticker). */
async function longestBlock(work: () => Promise<unknown>): Promise<number> {
  let longest = 0;
  let last = cpuMs();
  let running = true;
  const tick = () => {
    const now = cpuMs();
    longest = Math.max(longest, now - last);
    last = now;
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  await work();
  running = false;
  return Math.max(longest, cpuMs() - last);
}

/** The median CPU time of a plain parse of the playlist (every URI found and resolved), ms. */
function parseBaseline(text: string): number {
  const times: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t0 = cpuMs();
    planRewrite(text, URL_BASE);
    times.push(cpuMs() - t0);
  }
  return times.sort((a, b) => a - b)[3]!;
}

describe('playlist rewriting is bounded and cheap (issue 22)', () => {
  it.each([
    ['100 kB', 100_000],
    ['400 kB', 400_000],
  ])(
    'a %s playlist holds the event loop about as long as parsing it, and a reload seals nothing again',
    async (_name, bytes) => {
      const text = bigPlaylist(bytes);
      const real = new HmacTokenSealer(randomBytes(32));
      let seals = 0;
      const stack = await startProxyStack({
        streamUrl: URL_BASE,
        upstream: memoryUpstream(text),
        sealer: {
          seal: (payload) => {
            seals++;
            return real.seal(payload);
          },
          open: (token) => real.open(token),
        },
      });
      try {
        const uris = planRewrite(text, URL_BASE).refs.length;
        const variant = await stack.variantPath();
        await stack.get(variant); // warm-up: JIT, first allocation of the caches' maps
        const baseline = parseBaseline(text);
        // New viewers: every URI sealed for each, in slices; then their reloads seal nothing.
        // The least of three runs: a loaded machine only ever adds to a measured stretch.
        let first = Number.POSITIVE_INFINITY;
        let reload = Number.POSITIVE_INFINITY;
        for (let run = 0; run < 3; run++) {
          const fresh = await stack.variantPath();
          // onair's own work (Playback.serve), without the in-process HTTP harness around it.
          const serve = () =>
            stack.playback.serve(new URL(fresh, 'http://h').searchParams.get('t')!, [], undefined);
          seals = 0;
          let status = 0;
          first = Math.min(
            first,
            await longestBlock(async () => {
              const reply = await serve();
              status = reply.kind === 'playlist' ? 200 : 0;
            }),
          );
          expect(status).toBe(200);
          expect(seals).toBe(uris);
          seals = 0;
          reload = Math.min(
            reload,
            await longestBlock(async () => {
              const reply = await serve();
              status = reply.kind === 'playlist' ? 200 : 0;
            }),
          );
          expect(status).toBe(200);
          expect(seals).toBe(0);
        }
        console.log(
          `${bytes / 1000} kB, ${uris} URIs: plain parse ${baseline.toFixed(1)} ms; longest loop block ${first.toFixed(1)} ms (new viewer), ${reload.toFixed(1)} ms (reload)`,
        );
        // Sealing runs in slices: no stretch is more than a few times reading the playlist once (the
        // old per-URI deflate seal held it ~1000 times as long: 3.7 s for 100 kB).
        expect(first).toBeLessThan(8 * baseline);
        expect(reload).toBeLessThan(8 * baseline);
      } finally {
        await stack.stop();
      }
    },
    60_000,
  );

  it('refuses a playlist with more URIs than the cap, before sealing any', async () => {
    const text = bigPlaylist(2_000_000);
    let seals = 0;
    const real = new HmacTokenSealer(randomBytes(32));
    const stack = await startProxyStack({
      streamUrl: URL_BASE,
      upstream: memoryUpstream(text),
      sealer: {
        seal: (payload) => {
          seals++;
          return real.seal(payload);
        },
        open: (token) => real.open(token),
      },
    });
    try {
      const variant = await stack.variantPath();
      seals = 0;
      const res = await stack.get(variant);
      expect(res.statusCode).toBe(502);
      expect(res.json<{ error: { message: string } }>().error.message).toMatch(/more than 20000/);
      expect(seals).toBe(0);
    } finally {
      await stack.stop();
    }
  });
});
