/**
 * `npm run bench:proxy`: segment throughput and added latency through onair's HLS proxy versus
 * nginx serving the same files directly, with 1 and 100 concurrent viewers, and onair's peak RSS.
 * nginx (secure_link tokens, like a CDN) is the origin for the proxy; `/plain/` is the baseline.
 * Three processes: nginx, the real `onair serve` (built `dist/`, a plugin extractor signing nginx
 * URLs), and this one, the load generator. CPU and memory of onair come from `/proc/<pid>`.
 * BENCH_NODE_FLAGS passes V8/Node flags to onair (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`);
 * BENCH_PHASE_MS sets each phase's length. A bare node:http + undici proxy (`bare-proxy.ts`, own
 * process) runs in the same phases as the floor any Node proxy starts from. nginx's access log
 * counts what the origin served during each proxy phase: with the segment cache, about one
 * request per segment per playlist window (6 s here) however many viewers.
 * Last line: {"bench":"proxy","throughputRatio":…,"p99AddedMs":…,"rssMB":…,
 * "originRequestsPerSegment100":…, …}.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { stringify } from 'yaml';
import { procStats } from './proc-stats.js';
import { freePort, SECRET, startNginx, stopNginx } from '../e2e/hls-peers.js';

const SEGMENTS = 6;
const SEGMENT_BYTES = 512 * 1024; // one second at about 4 Mbit/s
const PHASE_MS = Number(process.env['BENCH_PHASE_MS'] ?? 6_000);
const CONCURRENCY = [1, 100];
const ADMIN = 'bench-token-123';
const root = join(import.meta.dirname, '../..');

interface Phase {
  readonly bytesPerSec: number;
  readonly p50: number;
  readonly p99: number;
  readonly requests: number;
  /** onair's CPU (user + system) per request, µs; NaN for the direct phase. */
  readonly cpuUsPerRequest: number;
  /** onair's largest resident set sampled during the phase. */
  readonly peakRssMB: number;
  /** Segment requests the origin served during the phase (proxy phases), per segment. */
  originPerSegment: number;
}

const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function waitForPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let seen = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /PORT (\d+)/.exec(seen);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => {
      reject(new Error(`process exited ${code}`));
    });
  });
}

async function load(
  urls: readonly string[],
  concurrency: number,
  agent: Agent,
  onair: number | null,
): Promise<Phase> {
  const latencies: number[] = [];
  let bytes = 0;
  let peakRss = onair === null ? 0 : procStats(onair).rssMB;
  const cpu0 = onair === null ? 0 : procStats(onair).cpuSec;
  const sampler = setInterval(() => {
    if (onair !== null) peakRss = Math.max(peakRss, procStats(onair).rssMB);
  }, 100);
  const start = performance.now();
  const end = start + PHASE_MS;
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
  const cpuUsPerRequest =
    onair === null ? NaN : ((procStats(onair).cpuSec - cpu0) * 1e6) / latencies.length;
  if (onair !== null) peakRss = Math.max(peakRss, procStats(onair).rssMB);
  latencies.sort((a, b) => a - b);
  return {
    bytesPerSec: bytes / seconds,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    requests: latencies.length,
    cpuUsPerRequest,
    peakRssMB: peakRss,
    originPerSegment: NaN,
  };
}

/** Segment requests under the tokenized path in nginx's access log so far. */
function originSegmentRequests(log: string): number {
  let text: string;
  try {
    text = readFileSync(log, 'utf8');
  } catch {
    return 0;
  }
  return text.split('\n').filter((line) => / \/t\/[^ ]*\/live\/seg_\d+\.ts /.test(line)).length;
}

/** The real `onair serve` with one channel whose plugin extractor signs fresh nginx URLs. */
async function startOnair(
  dir: string,
  nginxOrigin: string,
): Promise<{ url: string; child: ChildProcess }> {
  const plugin = join(dir, 'sign-plugin.mjs');
  writeFileSync(
    plugin,
    `import { createHash } from 'node:crypto';
export async function resolve() {
  const expires = Math.floor(Date.now() / 1000) + 3600;
  const md5 = createHash('md5').update(expires + '/live ${SECRET}').digest('base64url');
  return [{ url: '${nginxOrigin}/t/' + md5 + '/' + expires + '/live/index.m3u8', quality: 'best', expiresAt: expires * 1000 }];
}
`,
  );
  const port = await freePort();
  const config = join(dir, 'onair.yaml');
  writeFileSync(
    config,
    stringify({
      server: { host: '127.0.0.1', port },
      dataDir: join(dir, 'data'),
      auth: { adminToken: ADMIN },
      poll: { interval: '1h' },
      extractors: [{ use: 'plugin', module: plugin }],
      channels: [{ id: 'cam', platform: 'hls', url: `${nginxOrigin}/plain/live/index.m3u8` }],
      log: { level: 'warn' },
    }),
  );
  const flags = (process.env['BENCH_NODE_FLAGS'] ?? '').split(' ').filter(Boolean);
  const child = spawn(
    process.execPath,
    [...flags, join(root, 'bin/onair.js'), 'serve', '--config', config],
    { stdio: ['ignore', 'pipe', 'inherit'], cwd: dir },
  );
  // log level warn hides "onair started": wait for /healthz instead.
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<never>((_, reject) => {
    child.once('exit', (code) => {
      reject(new Error(`onair exited ${code}`));
    });
  });
  exited.catch(() => undefined);
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const res = await Promise.race([request(`${url}/healthz`), exited]);
      await res.body.dump();
      break;
    } catch (error) {
      if (Date.now() > deadline || child.exitCode !== null) throw error;
      await sleep(100);
    }
  }
  return { url, child };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'onair-bench-proxy-'));
  mkdirSync(join(dir, 'live'), { recursive: true });
  const lines = [
    '#EXTM3U',
    '#EXT-X-VERSION:3',
    '#EXT-X-TARGETDURATION:1',
    '#EXT-X-MEDIA-SEQUENCE:0',
  ];
  for (let i = 0; i < SEGMENTS; i++) {
    writeFileSync(join(dir, 'live', `seg_${i}.ts`), randomBytes(SEGMENT_BYTES));
    lines.push('#EXTINF:1.0,', `seg_${i}.ts`);
  }
  writeFileSync(join(dir, 'live', 'index.m3u8'), `${lines.join('\n')}\n`);
  const accessLog = join(dir, 'logs', 'access.log');
  const nginx = await startNginx(dir, dir, { accessLog });
  let onair: ChildProcess | undefined;
  let bare: ChildProcess | undefined;
  const agent = new Agent({ connections: 128, pipelining: 1 });
  try {
    const started = await startOnair(dir, nginx.origin);
    onair = started.child;
    const pid = onair.pid!;
    const pb = await request(`${started.url}/api/v1/channels/cam/playback`, {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    if (pb.statusCode !== 200)
      throw new Error(`playback: HTTP ${pb.statusCode} ${await pb.body.text()}`);
    const playback = (await pb.body.json()) as { variants: { url: string }[] };
    const variantUrl = playback.variants[0]!.url;
    const playlist = await (await request(variantUrl)).body.text();
    const proxied = playlist
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('#'))
      .map((l) => new URL(l, variantUrl).href);
    const direct = Array.from(
      { length: SEGMENTS },
      (_, i) => `${nginx.origin}/plain/live/seg_${i}.ts`,
    );
    if (proxied.length !== SEGMENTS)
      throw new Error(`expected ${SEGMENTS} proxied segments, got ${proxied.length}`);
    console.log(
      `bench:proxy — ${SEGMENTS} × ${SEGMENT_BYTES / 1024} KiB segments, ${PHASE_MS / 1000} s per phase; onair pid ${pid} (own process), nginx (own process), load generator here`,
    );

    // The floor: a bare node:http + undici + pipeline proxy (no tokens, no framework), own process.
    bare = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'bare-proxy.ts'), nginx.origin],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const bareOrigin = `http://127.0.0.1:${await waitForPort(bare)}`;
    const bareUrls = Array.from({ length: SEGMENTS }, (_, i) => `${bareOrigin}/live/seg_${i}.ts`);

    const rows: { concurrency: number; direct: Phase; proxy: Phase; bare: Phase }[] = [];
    await load(direct, 4, agent, null); // warm-up: sockets, JIT
    await load(proxied, 4, agent, pid);
    await load(bareUrls, 4, agent, bare.pid!);
    const idleRss = procStats(pid).rssMB;
    for (const concurrency of CONCURRENCY) {
      const d = await load(direct, concurrency, agent, null);
      const before = originSegmentRequests(accessLog);
      const p = await load(proxied, concurrency, agent, pid);
      p.originPerSegment = (originSegmentRequests(accessLog) - before) / SEGMENTS;
      const b = await load(bareUrls, concurrency, agent, bare.pid!);
      rows.push({ concurrency, direct: d, proxy: p, bare: b });
      console.log(
        `${String(concurrency).padStart(3)} viewers | direct ${(d.bytesPerSec / 1_048_576).toFixed(0)} MiB/s p50 ${d.p50.toFixed(2)} ms p99 ${d.p99.toFixed(2)} ms` +
          ` | proxy ${(p.bytesPerSec / 1_048_576).toFixed(0)} MiB/s p50 ${p.p50.toFixed(2)} ms p99 ${p.p99.toFixed(2)} ms | ratio ${(p.bytesPerSec / d.bytesPerSec).toFixed(2)}` +
          ` | p99 added ${(p.p99 - d.p99).toFixed(2)} ms | onair ${p.cpuUsPerRequest.toFixed(0)} µs CPU/viewer-segment, RSS peak ${p.peakRssMB} MB` +
          ` | origin ${p.originPerSegment.toFixed(2)} requests/segment for ${(p.requests / SEGMENTS).toFixed(0)} viewer requests/segment` +
          ` | bare proxy ${(b.bytesPerSec / 1_048_576).toFixed(0)} MiB/s (ratio ${(b.bytesPerSec / d.bytesPerSec).toFixed(2)}) p99 ${b.p99.toFixed(2)} ms ${b.cpuUsPerRequest.toFixed(0)} µs CPU/segment`,
      );
    }
    const throughputRatio = Math.min(
      ...rows.map((r) => r.proxy.bytesPerSec / r.direct.bytesPerSec),
    );
    const single = rows.find((r) => r.concurrency === 1)!;
    const many = rows.find((r) => r.concurrency === 100)!;
    const p99AddedMs = single.proxy.p99 - single.direct.p99;
    const peak = procStats(pid).peakRssMB;
    console.log(`onair RSS after warm-up ${idleRss} MB; peak (VmHWM) ${peak} MB`);
    console.log(
      JSON.stringify({
        bench: 'proxy',
        throughputRatio: Number(throughputRatio.toFixed(3)),
        p99AddedMs: Number(p99AddedMs.toFixed(2)),
        rssMB: peak,
        ratio1: Number((single.proxy.bytesPerSec / single.direct.bytesPerSec).toFixed(3)),
        ratio100: Number((many.proxy.bytesPerSec / many.direct.bytesPerSec).toFixed(3)),
        p99Added100Ms: Number((many.proxy.p99 - many.direct.p99).toFixed(2)),
        rss1MB: single.proxy.peakRssMB,
        rss100MB: many.proxy.peakRssMB,
        cpuUsPerSegment1: Math.round(single.proxy.cpuUsPerRequest),
        cpuUsPerSegment100: Math.round(many.proxy.cpuUsPerRequest),
        bareRatio1: Number((single.bare.bytesPerSec / single.direct.bytesPerSec).toFixed(3)),
        bareRatio100: Number((many.bare.bytesPerSec / many.direct.bytesPerSec).toFixed(3)),
        bareP99Added1Ms: Number((single.bare.p99 - single.direct.p99).toFixed(2)),
        bareCpuUsPerSegment100: Math.round(many.bare.cpuUsPerRequest),
        originRequestsPerSegment1: Number(single.proxy.originPerSegment.toFixed(2)),
        originRequestsPerSegment100: Number(many.proxy.originPerSegment.toFixed(2)),
        viewerRequestsPerSegment100: Math.round(many.proxy.requests / SEGMENTS),
      }),
    );
  } finally {
    await agent.close();
    if (onair && onair.exitCode === null) {
      const exited = new Promise((resolve) => onair!.once('exit', resolve));
      onair.kill('SIGTERM');
      await Promise.race([exited, sleep(5_000)]);
    }
    bare?.kill('SIGTERM');
    stopNginx(nginx.pidFile);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
