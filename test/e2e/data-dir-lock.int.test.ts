import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ensureBuilt, startServe, type ServeProcess } from '../reliability/serve-process.js';
import { removeDir } from './harness.js';

const BIN = join(import.meta.dirname, '../../bin/onair.js');

/** `onair serve` run to its end: exit code and what it printed. */
function serveToEnd(config: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, 'serve', '--config', config], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, ONAIR_ADMIN_TOKEN: 'data-dir-lock-admin' },
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', (code) => {
      resolve({ code, stderr });
    });
  });
}

/** One `onair serve` per data folder (embedded mode), with the real CLI. */
describe('data folder lock', () => {
  const dir = mkdtempSync(join(tmpdir(), 'onair-lock-'));
  const dataDir = join(dir, 'data');
  const config = join(dir, 'onair.yaml');
  const running: ServeProcess[] = [];

  beforeAll(() => {
    ensureBuilt();
    writeFileSync(
      config,
      stringify({ server: { host: '127.0.0.1', port: 0 }, dataDir, log: { level: 'info' } }),
    );
  }, 120_000);
  afterAll(async () => {
    for (const p of running) {
      if (p.child.exitCode === null && p.child.signalCode === null) {
        process.kill(p.pid, 'SIGKILL');
        await p.exited;
      }
    }
    removeDir(dir);
  });

  it('refuses a second process on the same folder, naming it and the owner, and leaves the first alone', async () => {
    const first = await startServe(config, { ONAIR_ADMIN_TOKEN: 'data-dir-lock-admin' });
    running.push(first);
    const second = await serveToEnd(config);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(
      `onair cannot start: the data folder ${dataDir} is in use by another onair process (pid ${String(first.pid)})`,
    );
    expect(second.stderr).not.toContain('    at ');
    // The first one still serves and still owns the folder.
    const health = await fetch(`${first.url}/healthz`);
    expect(health.status).toBe(200);
    expect(first.child.exitCode).toBeNull();
    expect(readFileSync(join(dataDir, 'onair.pid'), 'utf8').trim()).toBe(String(first.pid));

    // Twin: once the owner is gone — killed, its pid file left behind — a restart is not blocked.
    process.kill(first.pid, 'SIGKILL');
    await first.exited;
    expect(readFileSync(join(dataDir, 'onair.pid'), 'utf8').trim()).toBe(String(first.pid));
    const third = await startServe(config, { ONAIR_ADMIN_TOKEN: 'data-dir-lock-admin' });
    running.push(third);
    expect((await fetch(`${third.url}/healthz`)).status).toBe(200);
    expect(readFileSync(join(dataDir, 'onair.pid'), 'utf8').trim()).toBe(String(third.pid));
  }, 90_000);
});
