/**
 * `npm run bench:proxy`: segment throughput and added latency through onair's HLS proxy versus
 * nginx serving the same files directly, with 1 and 100 concurrent viewers, and peak RSS.
 * nginx (secure_link tokens, like a CDN) is the origin for the proxy; `/plain/` is the baseline.
 * The proxy and the load generator share this process (and the machine's cores) with nginx.
 * Last line: {"bench":"proxy","throughputRatio":…,"p99AddedMs":…,"rssMB":…}.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { startNginx, startOnairProxy, stopNginx } from '../e2e/hls-peers.js';

const SEGMENTS = 6;
const SEGMENT_BYTES = 512 * 1024; // one second at about 4 Mbit/s
const PHASE_MS = Number(process.env['BENCH_PHASE_MS'] ?? 6_000);
const CONCURRENCY = [1, 100];

interface Phase {
  readonly bytesPerSec: number;
  readonly p50: number;
  readonly p99: number;
  readonly requests: number;
  readonly rssMB: number;
}

const percentile = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
const rssMB = () => Math.round(process.memoryUsage().rss / 1_048_576);

async function load(urls: readonly string[], concurrency: number, agent: Agent): Promise<Phase> {
  const latencies: number[] = [];
  let bytes = 0;
  let peakRss = rssMB();
  const end = performance.now() + PHASE_MS;
  const start = performance.now();
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, rssMB());
  }, 100);
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (let i = worker; performance.now() < end; i++) {
        const t0 = performance.now();
        const res = await request(urls[i % urls.length]!, { dispatcher: agent });
        if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}`);
        for await (const chunk of res.body as AsyncIterable<Buffer>) bytes += chunk.length;
        latencies.push(performance.now() - t0);
      }
    }),
  );
  clearInterval(sampler);
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return { bytesPerSec: bytes / seconds, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), requests: latencies.length, rssMB: peakRss };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'onair-bench-proxy-'));
  mkdirSync(join(dir, 'live'), { recursive: true });
  const lines = ['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-TARGETDURATION:1', '#EXT-X-MEDIA-SEQUENCE:0'];
  for (let i = 0; i < SEGMENTS; i++) {
    writeFileSync(join(dir, 'live', `seg_${i}.ts`), randomBytes(SEGMENT_BYTES));
    lines.push('#EXTINF:1.0,', `seg_${i}.ts`);
  }
  writeFileSync(join(dir, 'live', 'index.m3u8'), `${lines.join('\n')}\n`);
  const nginx = await startNginx(dir, dir);
  const onair = await startOnairProxy(dir, nginx.origin, 3_600);
  const agent = new Agent({ connections: 128, pipelining: 1 });
  try {
    const playback = (await (await fetch(`${onair.url}/api/v1/channels/cam/playback`)).json()) as { variants: { url: string }[] };
    const variantUrl = playback.variants[0]!.url;
    const playlist = await (await fetch(variantUrl)).text();
    const proxied = playlist
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('#'))
      .map((l) => new URL(l, variantUrl).href);
    const direct = Array.from({ length: SEGMENTS }, (_, i) => `${nginx.origin}/plain/live/seg_${i}.ts`);
    if (proxied.length !== SEGMENTS) throw new Error(`expected ${SEGMENTS} proxied segments, got ${proxied.length}`);

    const rows: { concurrency: number; direct: Phase; proxy: Phase }[] = [];
    await load(direct, 4, agent); // warm-up: sockets, JIT
    await load(proxied, 4, agent);
    for (const concurrency of CONCURRENCY) {
      const d = await load(direct, concurrency, agent);
      const p = await load(proxied, concurrency, agent);
      rows.push({ concurrency, direct: d, proxy: p });
      console.log(
        `${String(concurrency).padStart(3)} viewers | direct ${(d.bytesPerSec / 1_048_576).toFixed(0)} MiB/s p50 ${d.p50.toFixed(2)} ms p99 ${d.p99.toFixed(2)} ms` +
          ` | proxy ${(p.bytesPerSec / 1_048_576).toFixed(0)} MiB/s p50 ${p.p50.toFixed(2)} ms p99 ${p.p99.toFixed(2)} ms | ratio ${(p.bytesPerSec / d.bytesPerSec).toFixed(2)}` +
          ` | p99 added ${(p.p99 - d.p99).toFixed(2)} ms | peak RSS ${p.rssMB} MB`,
      );
    }
    const throughputRatio = Math.min(...rows.map((r) => r.proxy.bytesPerSec / r.direct.bytesPerSec));
    const single = rows.find((r) => r.concurrency === 1)!;
    const p99AddedMs = single.proxy.p99 - single.direct.p99;
    const peak = Math.round(process.resourceUsage().maxRSS / 1024);
    console.log(
      JSON.stringify({
        bench: 'proxy',
        throughputRatio: Number(throughputRatio.toFixed(3)),
        p99AddedMs: Number(p99AddedMs.toFixed(2)),
        rssMB: peak,
      }),
    );
  } finally {
    await agent.close();
    await onair.stop();
    stopNginx(nginx.pidFile);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
