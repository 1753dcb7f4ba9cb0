/**
 * `npm run bench:cluster` — checks per second of real onair processes on one fake Owncast
 * platform: embedded (one process, SQLite, due times in a heap), then an api process with 1 and
 * with 3 workers (PostgreSQL alone: due-times table, lease rows, LISTEN/NOTIFY); CPU seconds of the
 * onair processes from /proc, so per-core efficiency compares like with like; then delivery
 * throughput (every channel goes live at once, every announcement is delivered to a webhook
 * receiver on loopback). Last, claims per second of the due-times table at 100,000 channels, with
 * two claimers as two workers would.
 * Usage: npm run bench:cluster -- [channels=5000] [seconds=15]. Prints figures, then one JSON line.
 */
import { readFileSync } from 'node:fs';
import { PostgresDueTimes } from '../../src/adapters/jobs/postgres/pg-due-times.js';
import {
  coordinationPool,
  ensureCoordinationTables,
} from '../../src/adapters/jobs/postgres/pg-schema.js';
import { openPostgresStore } from '../../src/adapters/store/postgres/postgres-store.js';
import { createTempDatabase } from '../contracts/store-services.js';
import { Cluster, waitFor, type OnairProcess } from '../e2e/failover-cluster.js';

const channels = Number(process.argv[2] ?? 5_000);
const seconds = Number(process.argv[3] ?? 15);
const warmupMs = 5_000;
const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** utime + stime of a process, in seconds. */
function cpuSeconds(p: OnairProcess): number {
  const stat = readFileSync(`/proc/${p.child.pid ?? 0}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** Channels the api still shows as never observed. */
async function unobserved(apiUrl: string): Promise<number> {
  const res = await fetch(`${apiUrl}/api/v1/channels`, {
    headers: { authorization: 'Bearer failover-admin-token' },
  });
  const list = (await res.json()) as { status: string }[];
  return list.filter((c) => c.status === 'unknown').length;
}

interface Run {
  readonly label: string;
  readonly checksPerSec: number;
  /** Checks per CPU second of the processes that poll (workers, or the one embedded process). */
  readonly checksPerCpuSec: number;
  readonly deliveriesPerSec: number;
}

async function run(label: string, mode: 'embedded' | 'cluster', workers: number): Promise<Run> {
  // A 1 s interval asks for more checks than this machine can make: the figure is capacity.
  const cluster = await Cluster.create({
    channels,
    mode,
    interval: '1s',
    tick: '500ms',
  });
  try {
    let pollers: OnairProcess[];
    if (mode === 'embedded') {
      pollers = [cluster.spawn('all')];
      await pollers[0]!.ready;
    } else {
      await cluster.spawn('api').ready;
      pollers = Array.from({ length: workers }, () => cluster.spawn('worker'));
      await Promise.all(pollers.map((p) => p.ready));
    }
    // Warm-up: every channel seen once (first sight announces nothing), as the api shows it.
    await waitFor(
      async () => (await unobserved(cluster.apiUrl)) === 0,
      180_000,
      () => 'not every channel was observed',
    );
    await new Promise((resolve) => setTimeout(resolve, warmupMs));
    const checks0 = cluster.fake.statusRequests;
    const cpu0 = pollers.reduce((sum, p) => sum + cpuSeconds(p), 0);
    const t0 = performance.now();
    await new Promise((resolve) => setTimeout(resolve, seconds * 1_000));
    const checks = cluster.fake.statusRequests - checks0;
    const elapsed = (performance.now() - t0) / 1_000;
    const cpu = pollers.reduce((sum, p) => sum + cpuSeconds(p), 0) - cpu0;

    const all = Array.from({ length: channels }, (_, i) => i);
    const before = cluster.receiver.accepted.length;
    cluster.goLive(all, 'bench', new Date());
    await waitFor(
      () => cluster.receiver.accepted.length - before >= 1,
      60_000,
      () => 'no delivery started',
    );
    const d0 = performance.now();
    await waitFor(
      () => cluster.receiver.accepted.length - before >= channels,
      120_000,
      () => `${cluster.receiver.accepted.length - before} delivered`,
    );
    const deliverySeconds = (performance.now() - d0) / 1_000;
    const result = {
      label,
      checksPerSec: Math.round(checks / elapsed),
      checksPerCpuSec: Math.round(checks / cpu),
      // From the first delivery to the last: detection is spread over a poll interval too.
      deliveriesPerSec: Math.round((channels - 1) / deliverySeconds),
    };
    console.log(
      `${label}: ${result.checksPerSec} checks/s, ${result.checksPerCpuSec} checks per CPU second of the pollers (${cpu.toFixed(1)} CPU s in ${elapsed.toFixed(1)} s), ${result.deliveriesPerSec} deliveries/s`,
    );
    return result;
  } finally {
    await cluster.stop();
  }
}

console.log(
  `bench:cluster — ${channels} fake Owncast channels, ${seconds} s per measurement after every channel was seen once and ${warmupMs / 1_000} s more`,
);
/**
 * Claims per second of the due-times table: 100,000 channels all due, two claimers taking 100 at a
 * time (`FOR UPDATE SKIP LOCKED`) and rescheduling what they took, as workers do after probing.
 */
async function claims(rows: number, ms: number): Promise<number> {
  const database = await createTempDatabase('onair_bench_due');
  try {
    await (await openPostgresStore(database.url, { poolSize: 1 })).close();
    const pool = coordinationPool(database.url, 4);
    await ensureCoordinationTables(pool);
    await pool.query(
      `INSERT INTO channels (id, platform, url, options, source, created_at, updated_at)
       SELECT 'c' || i, 'owncast', 'https://example.org/' || i, '{}', 'api', 0, 0
       FROM generate_series(1, $1::int) AS i`,
      [rows],
    );
    const due = new PostgresDueTimes(pool);
    await pool.query(
      `INSERT INTO due_times (channel_id, platform, due_at) SELECT id, platform, 0 FROM channels`,
    );
    await pool.query('ANALYZE due_times');
    let claimed = 0;
    const end = performance.now() + ms;
    const claimer = async (): Promise<void> => {
      while (performance.now() < end) {
        const got = await due.claimDue(100, 60_000);
        claimed += got.length;
        // Rescheduled "after the probe", due again at once: the table stays at 100,000 due rows.
        await due.schedule(got.map((g) => ({ ...g, delayMs: -1 })));
      }
    };
    const t0 = performance.now();
    await Promise.all([claimer(), claimer()]);
    await pool.end();
    return Math.round(claimed / ((performance.now() - t0) / 1_000));
  } finally {
    await database.drop();
  }
}

const embedded = await run('embedded (SQLite, heap of due times)', 'embedded', 1);
const one = await run('cluster, 1 worker (PostgreSQL only)', 'cluster', 1);
const three = await run('cluster, 3 workers (PostgreSQL only)', 'cluster', 3);
const claimsPerSec = await claims(100_000, seconds * 1_000);
console.log(
  `due-times table at 100,000 channels: ${claimsPerSec} claims/s (two claimers, 100 per claim, each rescheduled)`,
);
console.log(
  `per-core efficiency vs embedded: 1 worker ${(one.checksPerCpuSec / embedded.checksPerCpuSec).toFixed(2)}, 3 workers ${(three.checksPerCpuSec / embedded.checksPerCpuSec).toFixed(2)}; scaling 1 → 3 workers ×${(three.checksPerSec / one.checksPerSec).toFixed(2)}`,
);
console.log(
  JSON.stringify({
    bench: 'cluster',
    workers1PerSec: one.checksPerSec,
    workers3PerSec: three.checksPerSec,
    embeddedPerSec: embedded.checksPerSec,
    embeddedPerCpuSec: embedded.checksPerCpuSec,
    workers1PerCpuSec: one.checksPerCpuSec,
    workers3PerCpuSec: three.checksPerCpuSec,
    perCpuVsEmbedded: {
      workers1: Number((one.checksPerCpuSec / embedded.checksPerCpuSec).toFixed(2)),
      workers3: Number((three.checksPerCpuSec / embedded.checksPerCpuSec).toFixed(2)),
    },
    dueTimesClaimsPerSec100k: claimsPerSec,
    deliveriesPerSec: {
      embedded: embedded.deliveriesPerSec,
      workers1: one.deliveriesPerSec,
      workers3: three.deliveriesPerSec,
    },
  }),
);
