import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadOnairConfig, startOnair } from '../../src/main.js';
import { removeDir } from './harness.js';

const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/onair.js');

function onair(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', (status) => {
      resolve({ status, stdout, stderr });
    });
  });
}

/** The token a reset printed (the indented line). */
const printedToken = (stdout: string) => /^ {2}(onair_\S+)$/m.exec(stdout)?.[1];

/** `onair auth reset-admin`: the documented way back for an admin who lost the token. */
describe('onair auth reset-admin', () => {
  const dir = mkdtempSync(join(tmpdir(), 'onair-reset-'));
  const config = join(dir, 'onair.yaml');

  beforeAll(() => {
    if (!existsSync(join(ROOT, 'dist/cli/main.js'))) {
      const build = spawnSync('npm', ['run', 'build'], { encoding: 'utf8', cwd: ROOT });
      if (build.status !== 0) throw new Error(`build failed: ${build.stderr}`);
    }
    writeFileSync(config, stringify({ dataDir: join(dir, 'data'), log: { level: 'silent' } }));
  }, 120_000);
  afterAll(() => {
    removeDir(dir);
  });

  it('prints a new admin token that works, and the one before it stops working', async () => {
    const first = await onair(['auth', 'reset-admin', '--config', config]);
    expect(first.status).toBe(0);
    const old = printedToken(first.stdout);
    const second = await onair(['auth', 'reset-admin', '--config', config]);
    expect(second.status).toBe(0);
    const current = printedToken(second.stdout);
    expect(old).toBeDefined();
    expect(current).toBeDefined();
    expect(current).not.toBe(old);

    const app = await startOnair({
      loaded: loadOnairConfig(config, {}),
      logger: pino({ level: 'silent' }),
      listen: false,
    });
    try {
      const status = async (token: string | undefined) =>
        (
          await app.http.inject({
            method: 'GET',
            url: '/api/v1/channels',
            headers: { authorization: `Bearer ${token ?? ''}` },
          })
        ).statusCode;
      expect(app.generatedAdminToken).toBeNull();
      expect(await status(current)).toBe(200);
      expect(await status(old)).toBe(401);
    } finally {
      await app.stop();
    }
  });

  it('refuses when the config sets the admin token, and says where to change it', async () => {
    const fixed = join(dir, 'fixed.yaml');
    writeFileSync(
      fixed,
      stringify({ dataDir: join(dir, 'data'), auth: { adminToken: 'fixed-admin-token' } }),
    );
    const res = await onair(['auth', 'reset-admin', '--config', fixed]);
    expect(res.status).toBe(1);
    expect(res.stderr).toContain('auth.adminToken (or ONAIR_ADMIN_TOKEN)');
    expect(res.stdout).not.toMatch(/onair_/);
  });
});
