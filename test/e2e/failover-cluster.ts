import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { stringify } from 'yaml';
import { FakeOwncast } from '../fake-servers/owncast.server.js';
import { WebhookReceiver } from '../fake-servers/webhook-receiver.server.js';
import { createTempDatabase, type TempDatabase } from '../contracts/store-services.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = fileURLToPath(new URL('./failover-cli.ts', import.meta.url));

/** A real onair process (`serve --role …`), stopped by its PID. */
export interface OnairProcess {
  readonly role: 'all' | 'api' | 'worker';
  readonly child: ChildProcess;
  /** Resolves once it logged "onair started". */
  readonly ready: Promise<void>;
  /** Log lines it printed (JSON from pino), for diagnosis. */
  readonly lines: string[];
}

export interface ClusterOptions {
  readonly channels: number;
  /** `embedded`: one `serve` process with SQLite; `cluster`: processes sharing PostgreSQL, nothing else. */
  readonly mode: 'cluster' | 'embedded';
  readonly interval: string;
  /** Longest sleep of a worker's scheduler before it looks at the due times again. */
  readonly tick?: string;
  readonly lease?: string;
  readonly logLevel?: 'info' | 'warn';
  /** Whole channel entries added after the fake Owncast ones (e.g. an `hls` channel with `record: true`). */
  readonly extraChannels?: readonly Record<string, unknown>[];
  /** `recordings:` of the config; every process shares `dataDir`, so one recordings directory. */
  readonly recordings?: Record<string, unknown>;
  /** `twitch:` of the config (fake Helix, auth and EventSub URLs). */
  readonly twitch?: Record<string, unknown>;
}

/** Everything a cluster test or benchmark runs against: fake platform, receiver, database, processes. */
export class Cluster {
  readonly processes: OnairProcess[] = [];
  readonly dir = mkdtempSync(join(tmpdir(), 'onair-cluster-'));
  fake!: FakeOwncast;
  receiver!: WebhookReceiver;
  database: TempDatabase | null = null;
  apiUrl = '';
  private configFile = '';
  private readonly options: ClusterOptions;

  private constructor(options: ClusterOptions) {
    this.options = options;
  }

  static async create(options: ClusterOptions): Promise<Cluster> {
    const cluster = new Cluster(options);
    cluster.fake = await FakeOwncast.start();
    cluster.receiver = await WebhookReceiver.start();
    if (options.mode === 'cluster') cluster.database = await createTempDatabase('onair_cluster');
    const port = await freePort();
    cluster.apiUrl = `http://127.0.0.1:${port}`;
    const config = {
      server: { host: '127.0.0.1', port },
      dataDir: join(cluster.dir, 'data'),
      ...(cluster.database ? { store: { url: cluster.database.url, poolSize: 20 } } : {}),
      ...(options.mode === 'cluster'
        ? {
            jobs: {
              tick: options.tick ?? '1s',
              lease: options.lease ?? '3s',
              reload: '5s',
            },
          }
        : {}),
      poll: { interval: options.interval, concurrency: 64, timeout: '5s' },
      policy: { reconnectGrace: '0s', notifyCooldown: '0s' },
      auth: { adminToken: 'failover-admin-token' },
      log: { level: options.logLevel ?? 'info' },
      ...(options.recordings ? { recordings: options.recordings } : {}),
      ...(options.twitch ? { twitch: options.twitch } : {}),
      targets: [{ id: 'hook', type: 'webhook', url: cluster.receiver.url }],
      channels: [
        ...Array.from({ length: options.channels }, (_, i) => ({
          id: `c${i}`,
          platform: 'owncast',
          url: `${cluster.fake.url}/c/${i}`,
          notify: [{ target: 'hook', events: ['live', 'title', 'offline'] }],
        })),
        ...(options.extraChannels ?? []),
      ],
    };
    cluster.configFile = join(cluster.dir, 'onair.yaml');
    writeFileSync(cluster.configFile, stringify(config));
    return cluster;
  }

  /** Starts `onair serve --role <role>`. */
  spawn(role: OnairProcess['role']): OnairProcess {
    // The config file says everything; stray ONAIR_* settings of the caller must not change it.
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !name.startsWith('ONAIR_')),
    );
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', CLI, 'serve', '--config', this.configFile, '--role', role],
      {
        cwd: ROOT,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const lines: string[] = [];
    const ready = new Promise<void>((resolve, reject) => {
      const onLine = (line: string) => {
        if (lines.length < 2_000) lines.push(line);
        if (line.includes('"onair started"')) resolve();
      };
      createInterface({ input: child.stdout }).on('line', onLine);
      createInterface({ input: child.stderr }).on('line', onLine);
      child.once('exit', (code, signal) => {
        reject(
          new Error(
            `onair --role ${role} exited (${code ?? signal}) before it started:\n${lines.slice(-20).join('\n')}`,
          ),
        );
      });
    });
    ready.catch(() => undefined);
    const process_ = { role, child, ready, lines };
    this.processes.push(process_);
    return process_;
  }

  /** Live channels go offline and vice versa for `ids`, with a fresh session start. */
  goLive(ids: readonly number[], title: string, at: Date): void {
    for (const i of ids) this.fake.goLive(title, at, `/c/${i}`);
  }

  goOffline(ids: readonly number[]): void {
    for (const i of ids) this.fake.goOffline(`/c/${i}`);
  }

  /** One SQL query against the cluster's database. */
  async query<T extends pg.QueryResultRow>(text: string): Promise<T[]> {
    if (!this.database) throw new Error('no database in embedded mode');
    const client = new pg.Client({ connectionString: this.database.url });
    await client.connect();
    try {
      return (await client.query<T>(text)).rows;
    } finally {
      await client.end();
    }
  }

  /** Stops every process by its PID, then the fakes; drops the database. */
  async stop(): Promise<void> {
    await Promise.all(this.processes.map((p) => stopProcess(p.child)));
    await this.receiver.close();
    await this.fake.close();
    await this.database?.drop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** SIGTERM, then SIGKILL if it has not exited within 10 s. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      resolve();
    }),
  );
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) =>
    server.close(() => {
      resolve();
    }),
  );
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Waits until `check` returns true, polling every 200 ms; throws with `describe()` on timeout. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  describe: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Compares what the receiver accepted with what should have been announced: every expected id
 * exactly once. Returns the problems (empty when none).
 */
export function exactlyOnce(
  expected: readonly string[],
  received: readonly string[],
): { lost: string[]; doubled: string[]; unexpected: string[] } {
  const counts = new Map<string, number>();
  for (const id of received) counts.set(id, (counts.get(id) ?? 0) + 1);
  const want = new Set(expected);
  return {
    lost: expected.filter((id) => !counts.has(id)),
    doubled: [...counts].filter(([, n]) => n > 1).map(([id]) => id),
    unexpected: [...counts.keys()].filter((id) => !want.has(id)),
  };
}
