import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { removeDir } from '../e2e/harness.js';
import { FakeOwncast } from '../fake-servers/owncast.server.js';
import { WebhookReceiver } from '../fake-servers/webhook-receiver.server.js';
import { ensureBuilt, sleep, startServe, type ServeProcess } from './serve-process.js';

const ROOT = join(import.meta.dirname, '../..');
const TOKEN = 'store-lock-admin';
const CHANNELS = 3;
/**
 * Longer than the 10 s: onair's store check runs every 5 s and a statement waits up to 5 s
 * for a locked file, so a 10 s lock could end just as the first check gives up (the run then saw no
 * 503 at all once in CI). A known gap of issue 13: the check should not block that long.
 */
const LOCK_MS = 20_000;

/**
 * Another process takes an exclusive lock on onair's SQLite file (`BEGIN EXCLUSIVE`, as a backup
 * tool or a curious `sqlite3` shell might) and holds it for `holdMs`. Resolves once it holds it.
 */
async function holdExclusiveLock(
  db: string,
  holdMs: number,
): Promise<{ child: ChildProcess; done: Promise<number | null> }> {
  const script = `
    const Database = require('better-sqlite3');
    const db = new Database(${JSON.stringify(db)}, { timeout: 30000 });
    db.exec('BEGIN EXCLUSIVE');
    process.stdout.write('locked\\n');
    setTimeout(() => { db.exec('COMMIT'); db.close(); process.stdout.write('released\\n'); }, ${String(holdMs)});
  `;
  const child = spawn(process.execPath, ['-e', script], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const done = new Promise<number | null>((resolve) => child.once('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('locked')) resolve();
    });
    child.once('exit', (code) => {
      reject(new Error(`lock holder exited with ${String(code)}`));
    });
  });
  return { child, done };
}

async function waitFor(what: string, predicate: () => Promise<boolean> | boolean, ms = 60_000) {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/**
 * Embedded mode keeps going while its store is locked by another process: `/healthz` says so
 * (503 with the reason) meanwhile and 200 after, the process stays up, and every transition of the
 * flapping channels is delivered once. The twin runs the same flaps without the lock: `/healthz`
 * never leaves 200, so the 503 is the lock's doing.
 */
describe('chaos: the SQLite file locked by another process', () => {
  const dir = mkdtempSync(join(tmpdir(), 'onair-store-lock-'));
  let owncast: FakeOwncast;
  let receiver: WebhookReceiver;
  let current: ServeProcess | null = null;

  beforeAll(async () => {
    ensureBuilt();
    owncast = await FakeOwncast.start();
    receiver = await WebhookReceiver.start();
  }, 120_000);
  afterAll(async () => {
    if (current && current.child.exitCode === null) {
      process.kill(current.pid, 'SIGKILL');
      await current.exited;
    }
    await owncast.close();
    await receiver.close();
    removeDir(dir);
  });

  async function scenario(name: string, lock: boolean) {
    const dataDir = join(dir, name);
    const config = join(dir, `${name}.yaml`);
    writeFileSync(
      config,
      stringify({
        server: { host: '127.0.0.1', port: 0 },
        dataDir,
        auth: { adminToken: TOKEN },
        log: { level: 'info' },
        poll: { interval: '1s', timeout: '2s' },
        policy: { reconnectGrace: '0s' },
        delivery: { timeout: '2s', backoffBase: '200ms', backoffMax: '2s' },
        targets: [{ id: 'hook', type: 'webhook', url: receiver.url }],
        channels: Array.from({ length: CHANNELS }, (_, i) => ({
          id: `${name}${i}`,
          platform: 'owncast',
          url: `${owncast.url}/${name}/${i}`,
          notify: [{ target: 'hook', events: ['live', 'offline'] }],
        })),
      }),
    );
    for (let i = 0; i < CHANNELS; i++) owncast.goOffline(`/${name}/${i}`);
    current = await startServe(config);
    const serve = current;
    const channels = async () => {
      const res = await fetch(`${serve.url}/api/v1/channels`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      return (await res.json()) as { id: string; status: string }[];
    };
    await waitFor('first sight', async () =>
      (await channels()).every((c) => c.status === 'offline'),
    );
    const health: number[] = [];
    /** What each 503 said was failing (checked at the end: a throw here would stop the watch). */
    const reasons: string[] = [];
    const watching = { on: true };
    const watcher = (async () => {
      while (watching.on) {
        const res = await fetch(`${serve.url}/healthz`).catch(() => null);
        if (res) {
          health.push(res.status);
          const text = await res.text();
          if (res.status === 503) reasons.push(text);
        }
        await sleep(250);
      }
    })();

    const holder = lock ? await holdExclusiveLock(join(dataDir, 'onair.db'), LOCK_MS) : null;
    const lockedAt = Date.now();
    // Every channel goes live while the file is locked, each in its own session.
    for (let i = 0; i < CHANNELS; i++) {
      owncast.goLive(`${name}${i} live`, new Date(Date.UTC(2025, 0, 1, 0, 0, i)), `/${name}/${i}`);
      await sleep(1_500);
    }
    if (holder) {
      await waitFor('a 503 while locked', () => health.includes(503));
      expect(await holder.done).toBe(0);
    } else await sleep(Math.max(0, LOCK_MS - (Date.now() - lockedAt)));
    await waitFor('every channel live', async () =>
      (await channels()).every((c) => c.status === 'live'),
    );
    for (let i = 0; i < CHANNELS; i++) owncast.goOffline(`/${name}/${i}`);
    await waitFor('every channel offline', async () =>
      (await channels()).every((c) => c.status === 'offline'),
    );
    const mine = () =>
      receiver.requests.filter((r) => (r.body['channel'] as { id: string }).id.startsWith(name));
    await waitFor('every delivery', () => mine().length >= 2 * CHANNELS);
    await waitFor('a 200 after', () => health.at(-1) === 200);
    watching.on = false;
    await watcher;
    // The 503s name the store's lock (other tasks may fail too while it is held).
    if (lock) expect(reasons.join('\n')).toMatch(/locked|busy/i);
    expect(serve.child.exitCode).toBeNull();
    const ids = mine().map((r) => r.body.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(
      mine()
        .map((r) => r.body.event)
        .sort(),
    ).toEqual([...Array(CHANNELS).fill('live'), ...Array(CHANNELS).fill('offline')].sort());
    process.kill(serve.pid, 'SIGTERM');
    expect(await serve.exited).toBe(0);
    current = null;
    return health;
  }

  it('stays up, says 503 while locked and 200 after, delivers every transition once', async () => {
    const health = await scenario('locked', true);
    expect(health).toContain(503);
    expect(health.at(-1)).toBe(200);
  }, 180_000);

  it('twin: without the lock the same flaps never make /healthz leave 200', async () => {
    const health = await scenario('free', false);
    expect(health.length).toBeGreaterThan(10);
    expect(health.every((s) => s === 200)).toBe(true);
  }, 180_000);
});
