/**
 * `npm run bench:poll` — the real `onair serve` process (poll loop, decision, SQLite store)
 * checking N fake Owncast channels on loopback, against a bare HTTP client loop on the same fake
 * in the same run. Usage: npm run bench:poll -- [channels=100000] [seconds=20]; BENCH_NODE_FLAGS
 * passes V8 flags to onair (`--max-old-space-size=160` trades CPU for a lower peak RSS).
 * Prints figures, then one JSON line. The fake runs in its own process, and so does onair.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { stringify } from 'yaml';
import { procStats } from './proc-stats.js';
import { openSqliteStore } from '../../src/adapters/store/sqlite/sqlite-store.js';
import { freePort } from '../e2e/hls-peers.js';

const channels = Number(process.argv[2] ?? 100_000);
const seconds = Number(process.argv[3] ?? 20);
const concurrency = 64;
const warmupMs = 5_000;
const root = join(import.meta.dirname, '../..');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function waitForLine(child: ChildProcess, pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let seen = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const match = pattern.exec(seen);
      if (match) resolve(match);
    });
    child.once('exit', (code) => {
      reject(new Error(`process exited ${code}`));
    });
  });
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
}

/** The baseline: `concurrency` bare keep-alive requests in a loop, parsing the JSON, nothing else. */
async function baseline(
  farm: string,
): Promise<{ perSec: number; p99Ms: number; cpuUsPerCheck: number }> {
  const agent = new Agent({ connections: concurrency, keepAliveTimeout: 30_000 });
  const latencies: number[] = [];
  let n = 0;
  const measured: { cpuAtStart?: NodeJS.CpuUsage } = {};
  const measureFrom = Date.now() + warmupMs;
  const end = measureFrom + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < end) {
        const i = n++ % channels;
        const t0 = performance.now();
        const res = await request(`${farm}/c/${i}/api/status`, { dispatcher: agent });
        JSON.parse(await res.body.text());
        if (Date.now() >= measureFrom) {
          measured.cpuAtStart ??= process.cpuUsage();
          latencies.push(performance.now() - t0);
        }
      }
    }),
  );
  const cpu = process.cpuUsage(measured.cpuAtStart);
  await agent.close();
  latencies.sort((a, b) => a - b);
  return {
    perSec: latencies.length / seconds,
    p99Ms: percentile(latencies, 0.99),
    cpuUsPerCheck: (cpu.user + cpu.system) / latencies.length,
  };
}

/** The p-quantile of a Prometheus histogram's growth between two scrapes, interpolated within its bucket (as histogram_quantile does). */
function histogramQuantile(
  before: Map<number, number>,
  after: Map<number, number>,
  p: number,
): number {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const counts = bounds.map((b) => (after.get(b) ?? 0) - (before.get(b) ?? 0));
  const rank = p * (counts[counts.length - 1] ?? 0);
  let lower = 0;
  for (let i = 0; i < bounds.length; i++) {
    const upper = bounds[i]!;
    const below = i === 0 ? 0 : counts[i - 1]!;
    if (counts[i]! >= rank) {
      if (!Number.isFinite(upper)) return lower * 1000;
      const inBucket = counts[i]! - below;
      return (lower + (upper - lower) * (inBucket === 0 ? 0 : (rank - below) / inBucket)) * 1000;
    }
    lower = upper;
  }
  return NaN;
}

interface Scrape {
  probes: number;
  buckets: Map<number, number>;
  at: number;
}

async function scrape(url: string): Promise<Scrape> {
  const res = await request(`${url}/metrics`, {
    headers: { authorization: 'Bearer bench-token-123' },
  });
  const body = await res.body.text();
  let probes = 0;
  for (const m of body.matchAll(/^onair_probes_total\{[^}]*\} (\d+)/gm)) probes += Number(m[1]);
  const buckets = new Map<number, number>();
  for (const m of body.matchAll(
    /^onair_probe_duration_seconds_bucket\{le="([^"]+)",platform="owncast"\} (\d+)/gm,
  )) {
    buckets.set(m[1] === '+Inf' ? Infinity : Number(m[1]), Number(m[2]));
  }
  return { probes, buckets, at: performance.now() };
}

async function main(): Promise<void> {
  const children: ChildProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'onair-bench-'));
  try {
    const farmProcess = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'owncast-farm.ts')],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    children.push(farmProcess);
    const farm = `http://127.0.0.1:${(await waitForLine(farmProcess, /PORT (\d+)/))[1]}`;
    console.log(
      `bench:poll — ${channels} fake Owncast channels (1 % flapping), ${seconds}s measured after ${warmupMs / 1000}s warm-up, concurrency ${concurrency}`,
    );

    const base = await baseline(farm);
    console.log(
      `baseline (bare undici loop):  ${Math.round(base.perSec)} checks/s, p99 ${base.p99Ms.toFixed(1)} ms, ${base.cpuUsPerCheck.toFixed(0)} µs CPU per check`,
    );

    // Channels go in through the store, as API-created channels would.
    const seedStart = performance.now();
    const seed = await openSqliteStore(join(dir, 'data', 'onair.db'));
    await seed.putChannels(
      Array.from({ length: channels }, (_, i) => ({
        channel: {
          id: `c${i}`,
          platform: 'owncast',
          url: `${farm}/c/${i}`,
          name: null,
          intervalMs: null,
          options: {},
        },
        subscriptions: [],
      })),
      'api',
      Date.now(),
    );
    await seed.close();
    const seededSec = (performance.now() - seedStart) / 1000;

    const port = await freePort();
    const config = join(dir, 'onair.yaml');
    writeFileSync(
      config,
      stringify({
        server: { host: '127.0.0.1', port },
        dataDir: join(dir, 'data'),
        auth: { adminToken: 'bench-token-123' },
        // An interval far below what can be served keeps every channel due: the loop runs flat out.
        poll: { interval: '1s', concurrency, timeout: '10s' },
        policy: { reconnectGrace: '0s' },
        log: { level: 'info' },
      }),
    );
    const started = performance.now();
    const onair = spawn(
      process.execPath,
      [
        ...(process.env['BENCH_NODE_FLAGS'] ?? '').split(' ').filter(Boolean),
        join(root, 'bin/onair.js'),
        'serve',
        '--config',
        config,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    children.push(onair);
    await waitForLine(onair, /"msg":"onair started"/);
    const startupSec = (performance.now() - started) / 1000;
    const url = `http://127.0.0.1:${port}`;
    console.log(
      `${channels} channels stored in ${seededSec.toFixed(1)} s; onair serve started on them in ${startupSec.toFixed(1)} s`,
    );

    await sleep(warmupMs);
    const s0 = await scrape(url);
    const cpu0 = procStats(onair.pid!).cpuSec;
    await sleep(seconds * 1000);
    const s1 = await scrape(url);
    const { cpuSec, peakRssMB } = procStats(onair.pid!);
    const checks = s1.probes - s0.probes;
    const perSec = checks / ((s1.at - s0.at) / 1000);
    const cpuUsPerCheck = ((cpuSec - cpu0) * 1e6) / checks;
    const p99 = histogramQuantile(s0.buckets, s1.buckets, 0.99);
    const ratio = perSec / base.perSec;
    console.log(
      `onair serve (loop + decide + SQLite): ${Math.round(perSec)} checks/s, p99 ${p99.toFixed(1)} ms (from its histogram), ${cpuUsPerCheck.toFixed(0)} µs CPU per check`,
    );
    console.log(`ratio ${ratio.toFixed(2)}; onair peak RSS ${peakRssMB} MB`);
    console.log(
      JSON.stringify({
        bench: 'poll',
        channels,
        checksPerSec: Math.round(perSec),
        baselinePerSec: Math.round(base.perSec),
        ratio: Number(ratio.toFixed(3)),
        rssMB: peakRssMB,
        p99Ms: Number(p99.toFixed(1)),
        baselineP99Ms: Number(base.p99Ms.toFixed(1)),
        cpuUsPerCheck: Math.round(cpuUsPerCheck),
        baselineCpuUsPerCheck: Math.round(base.cpuUsPerCheck),
        startupSec: Number(startupSec.toFixed(1)),
      }),
    );
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await sleep(500);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
