/**
 * `npm run bench:startup` — how long the built CLI takes to answer: `onair --version`, and
 * `onair serve` from process start to its first `200` on `/healthz`, on an empty data folder and
 * on one holding N stored channels. The baseline, in the same run, is a bare `node` process start
 * (`node -e 0`) and a bare `node:http` server answering its first request: what Node itself costs.
 * Usage: npm run bench:startup -- [channels=100000] [runs=5]. Prints figures, then one JSON line.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { openSqliteStore } from '../../src/adapters/store/sqlite/sqlite-store.js';
import { freePort } from '../e2e/hls-peers.js';

const channels = Number(process.argv[2] ?? 100_000);
const runs = Number(process.argv[3] ?? 5);
const root = join(import.meta.dirname, '../..');
const bin = join(root, 'bin/onair.js');

const median = (values: readonly number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

/** Milliseconds from spawn until the process exits (it must exit 0). */
function timeToExit(args: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { stdio: 'ignore' });
    child.once('exit', (code) => {
      if (code === 0) resolve(performance.now() - started);
      else reject(new Error(`${args.join(' ')} exited ${String(code)}`));
    });
  });
}

/** Status of one GET, or 0 when nothing answers yet. */
function status(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.once('error', () => {
      resolve(0);
    });
    req.end();
  });
}

/** Milliseconds from spawn until `url` answers 200; then the process is stopped and awaited. */
async function timeToHealthy(args: readonly string[], url: string): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  let failed: number | null | undefined;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code) => {
      failed = code;
      resolve();
    }),
  );
  try {
    for (;;) {
      if (failed !== undefined)
        throw new Error(`process exited ${String(failed)} before answering`);
      if ((await status(url)) === 200) return performance.now() - started;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

async function serveConfig(dir: string, port: number): Promise<string> {
  const file = join(dir, 'onair.yaml');
  writeFileSync(
    file,
    stringify({
      server: { host: '127.0.0.1', port },
      dataDir: join(dir, 'data'),
      auth: { adminToken: 'bench-startup-token' },
      log: { level: 'warn', format: 'json' },
    }),
  );
  return file;
}

async function seed(dir: string): Promise<void> {
  const store = await openSqliteStore(join(dir, 'data', 'onair.db'));
  await store.putChannels(
    Array.from({ length: channels }, (_, i) => ({
      channel: {
        id: `c${String(i)}`,
        platform: 'hls',
        // Nothing listens there: probes fail fast and stay on this machine.
        url: `http://127.0.0.1:9/c/${String(i)}.m3u8`,
        name: null,
        intervalMs: null,
        options: {},
      },
      subscriptions: [],
    })),
    'api',
    Date.now(),
  );
  await store.close();
}

const dirs: string[] = [];
try {
  console.log(
    `bench:startup — ${String(runs)} runs each, medians; ${String(channels)} stored channels in the last case`,
  );
  const nodeMs: number[] = [];
  const versionMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    nodeMs.push(await timeToExit(['-e', '0']));
    versionMs.push(await timeToExit([bin, '--version']));
  }
  const barePort = await freePort();
  const bareHttpMs: number[] = [];
  const bare = `require('node:http').createServer((q, s) => s.end('ok')).listen(${String(barePort)}, '127.0.0.1')`;
  for (let i = 0; i < runs; i++)
    bareHttpMs.push(await timeToHealthy(['-e', bare], `http://127.0.0.1:${String(barePort)}/`));
  console.log(
    `baseline: node -e 0 ${median(nodeMs).toFixed(0)} ms; bare node:http first answer ${median(bareHttpMs).toFixed(0)} ms`,
  );
  console.log(`onair --version: ${median(versionMs).toFixed(0)} ms`);

  const emptyMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const dir = mkdtempSync(join(tmpdir(), 'onair-bench-startup-'));
    dirs.push(dir);
    const port = await freePort();
    const config = await serveConfig(dir, port);
    emptyMs.push(
      await timeToHealthy(
        [bin, 'serve', '--config', config],
        `http://127.0.0.1:${String(port)}/healthz`,
      ),
    );
  }
  console.log(
    `onair serve, empty data folder: /healthz 200 after ${median(emptyMs).toFixed(0)} ms`,
  );

  const dir = mkdtempSync(join(tmpdir(), 'onair-bench-startup-'));
  dirs.push(dir);
  await seed(dir);
  const port = await freePort();
  const config = await serveConfig(dir, port);
  const storedMs: number[] = [];
  for (let i = 0; i < runs; i++)
    storedMs.push(
      await timeToHealthy(
        [bin, 'serve', '--config', config],
        `http://127.0.0.1:${String(port)}/healthz`,
      ),
    );
  console.log(
    `onair serve, ${String(channels)} stored channels: /healthz 200 after ${median(storedMs).toFixed(0)} ms`,
  );

  console.log(
    JSON.stringify({
      bench: 'startup',
      nodeStartMs: Math.round(median(nodeMs)),
      bareHttpFirstAnswerMs: Math.round(median(bareHttpMs)),
      versionMs: Math.round(median(versionMs)),
      serveEmptyMs: Math.round(median(emptyMs)),
      serveStoredMs: Math.round(median(storedMs)),
      storedChannels: channels,
    }),
  );
} finally {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}
