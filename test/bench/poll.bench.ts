/**
 * `npm run bench:poll` — the real poll loop, decision and SQLite store checking N fake Owncast
 * channels on loopback, against a bare HTTP client loop on the same fake in the same run.
 * Usage: npm run bench:poll -- [channels=100000] [seconds=20]. Prints figures, then one JSON line.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Agent, request } from 'undici';
import { stringify } from 'yaml';
import { openSqliteStore } from '../../src/adapters/store/sqlite/sqlite-store.js';
import { loadOnairConfig, startOnair } from '../../src/main.js';

const channels = Number(process.argv[2] ?? 100_000);
const seconds = Number(process.argv[3] ?? 20);
const concurrency = 64;
const warmupMs = 5_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);

async function startFarm(): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'owncast-farm.ts')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      const match = /PORT (\d+)/.exec(chunk.toString());
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => {
      reject(new Error(`farm exited ${code}`));
    });
  });
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
}

/** The baseline: `concurrency` bare keep-alive requests in a loop, parsing the JSON, nothing else. */
async function baseline(farm: string): Promise<{ perSec: number; p99Ms: number; cpuUsPerCheck: number }> {
  const agent = new Agent({ connections: concurrency, keepAliveTimeout: 30_000 });
  const latencies: number[] = [];
  let n = 0;
  let measuring = false;
  const end = Date.now() + warmupMs + seconds * 1000;
  const measureFrom = Date.now() + warmupMs;
  let cpuAtStart: NodeJS.CpuUsage | null = null;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < end) {
        const i = n++ % channels;
        const t0 = performance.now();
        const res = await request(`${farm}/c/${i}/api/status`, { dispatcher: agent });
        JSON.parse(await res.body.text());
        if (!measuring && Date.now() >= measureFrom) {
          measuring = true;
          cpuAtStart = process.cpuUsage();
        }
        if (measuring) latencies.push(performance.now() - t0);
      }
    }),
  );
  const cpu = process.cpuUsage(cpuAtStart ?? undefined);
  await agent.close();
  latencies.sort((a, b) => a - b);
  return { perSec: latencies.length / seconds, p99Ms: percentile(latencies, 0.99), cpuUsPerCheck: (cpu.user + cpu.system) / latencies.length };
}

/** p-quantile of a Prometheus histogram delta, interpolated within the bucket (as histogram_quantile does). */
function histogramQuantile(before: Map<number, number>, after: Map<number, number>, p: number): number {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const counts = bounds.map((b) => (after.get(b) ?? 0) - (before.get(b) ?? 0));
  const total = counts[counts.length - 1] ?? 0;
  const rank = p * total;
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

async function main(): Promise<void> {
  const farm = await startFarm();
  const dir = mkdtempSync(join(tmpdir(), 'onair-bench-'));
  try {
    console.log(`bench:poll — ${channels} fake Owncast channels, ${seconds}s measured after ${warmupMs / 1000}s warm-up, concurrency ${concurrency}`);
    const base = await baseline(farm.url);
    console.log(`baseline (bare undici loop): ${Math.round(base.perSec)} checks/s, p99 ${base.p99Ms.toFixed(2)} ms, ${base.cpuUsPerCheck.toFixed(0)} µs CPU per check`);

    // The channels go in through the store, as API-created channels would, so the peak RSS is
    // onair's own and not a 100k-entry YAML document's.
    const setupStart = performance.now();
    const seed = await openSqliteStore(join(dir, 'data', 'onair.db'));
    await seed.putChannels(
      Array.from({ length: channels }, (_, i) => ({
        channel: { id: `c${i}`, platform: 'owncast', url: `${farm.url}/c/${i}`, name: null, intervalMs: null, options: {} },
        subscriptions: [],
      })),
      'api',
      Date.now(),
    );
    await seed.close();
    const seededMs = performance.now() - setupStart;
    const file = join(dir, 'onair.yaml');
    writeFileSync(
      file,
      stringify({
        dataDir: join(dir, 'data'),
        auth: { adminToken: 'bench-token' },
        poll: { interval: '1s', concurrency, timeout: '10s' },
        policy: { reconnectGrace: '0s' },
      }),
    );
    const startedAt = performance.now();
    const loaded = loadOnairConfig(file, {});
    const onair = await startOnair({ loaded, logger: pino({ level: 'warn' }), listen: false });
    const setupMs = performance.now() - startedAt;
    console.log(`${channels} channels stored in ${(seededMs / 1000).toFixed(1)} s; onair started on them in ${(setupMs / 1000).toFixed(1)} s`);

    let peakRss = process.memoryUsage().rss;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }, 250);
    const metricsText = async () => onair.http.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer bench-token' } });
    const probesTotal = async () => {
      const body = (await metricsText()).body;
      let sum = 0;
      for (const match of body.matchAll(/^onair_probes_total\{[^}]*\} (\d+)/gm)) sum += Number(match[1]);
      return sum;
    };
    const histogram = async () => {
      const body = (await metricsText()).body;
      const map = new Map<number, number>();
      for (const match of body.matchAll(/^onair_probe_duration_seconds_bucket\{le="([^"]+)",platform="owncast"\} (\d+)/gm)) {
        map.set(match[1] === '+Inf' ? Infinity : Number(match[1]), Number(match[2]));
      }
      return map;
    };
    await sleep(warmupMs);
    const events = async () => (await onair.store.listEvents({ limit: 100_000 })).length;
    const [c0, h0, e0] = [await probesTotal(), await histogram(), await events()];
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    await sleep(seconds * 1000);
    const cpu = process.cpuUsage(cpu0);
    const [c1, h1, e1] = [await probesTotal(), await histogram(), await events()];
    const elapsed = (performance.now() - t0) / 1000;
    clearInterval(sampler);
    const perSec = (c1 - c0) / elapsed;
    const cpuUsPerCheck = (cpu.user + cpu.system) / (c1 - c0);
    const p99 = histogramQuantile(h0, h1, 0.99);
    console.log(`onair (poll loop + decide + SQLite): ${Math.round(perSec)} checks/s, p99 ${p99.toFixed(2)} ms (histogram-interpolated), ${cpuUsPerCheck.toFixed(0)} µs CPU per check, ${e1 - e0} events recorded`);
    console.log(`ratio ${(perSec / base.perSec).toFixed(2)}, peak RSS ${mb(peakRss)} MB`);
    await onair.stop();
    console.log(
      JSON.stringify({
        bench: 'poll',
        channels,
        checksPerSec: Math.round(perSec),
        baselinePerSec: Math.round(base.perSec),
        ratio: Number((perSec / base.perSec).toFixed(3)),
        rssMB: mb(peakRss),
        p99Ms: Number(p99.toFixed(2)),
        baselineP99Ms: Number(base.p99Ms.toFixed(2)),
        cpuUsPerCheck: Math.round(cpuUsPerCheck),
        baselineCpuUsPerCheck: Math.round(base.cpuUsPerCheck),
        startupSec: Number((setupMs / 1000).toFixed(1)),
      }),
    );
  } finally {
    farm.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
