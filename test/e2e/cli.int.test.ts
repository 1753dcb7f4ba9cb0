import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { FakeOwncast } from '../fake-servers/owncast.server.js';
import { WebhookReceiver } from '../fake-servers/webhook-receiver.server.js';
import { removeDir } from './harness.js';

const BIN = join(import.meta.dirname, '../../bin/onair.js');

/** Runs the CLI to completion without blocking this process (the fakes live in it). */
function onair(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', (status) => {
      resolve({ status, stdout, stderr });
    });
  });
}

async function waitFor(predicate: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The real CLI, as `npx onair …` runs it after `npm ci`. */
describe('onair CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'onair-cli-'));
  let owncast: FakeOwncast;
  let receiver: WebhookReceiver;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    if (!existsSync(join(import.meta.dirname, '../../dist/cli/main.js'))) {
      const build = spawnSync('npm', ['run', 'build'], {
        encoding: 'utf8',
        cwd: join(import.meta.dirname, '../..'),
      });
      if (build.status !== 0) throw new Error(`build failed: ${build.stderr}`);
    }
    owncast = await FakeOwncast.start();
    receiver = await WebhookReceiver.start();
  }, 120_000);
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await owncast.close();
    await receiver.close();
    removeDir(dir);
  });

  it('validates a config, listing every problem, and exits non-zero', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      'poll: { interval: soon }\nchannels:\n  - { id: a, platform: nope, url: x }\n',
    );
    const res = await onair(['config', 'check', '--config', bad]);
    expect(res.status).toBe(1);
    expect(res.stderr).toContain('poll.interval: "soon" is not a duration');
    expect(res.stderr).toContain('channels.0.platform: unknown platform "nope"');
    const good = await onair(['config', 'check', '--config', 'onair.example.yaml']);
    expect(good.stdout).toMatch(/configuration OK .*: 0 channels, 0 targets/);
    expect(good.status).toBe(0);
  });

  it('warns about a misspelt ONAIR_* variable, naming the one it probably means', async () => {
    const res = await onair(['config', 'check', '--config', 'onair.example.yaml'], {
      ONAIR_POLL_INTERVALL: '30s',
    });
    expect(res.status).toBe(0);
    expect(res.stderr).toContain(
      'warning: ONAIR_POLL_INTERVALL is not a setting onair reads (did you mean ONAIR_POLL_INTERVAL?)',
    );
    const clean = await onair(['config', 'check', '--config', 'onair.example.yaml']);
    expect(clean.stderr).not.toContain('warning:');
  });

  it('refuses a busy port in one plain sentence and exits 1', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const { port } = busy.address() as AddressInfo;
    try {
      const config = join(dir, 'busy.yaml');
      writeFileSync(
        config,
        stringify({ server: { host: '127.0.0.1', port }, dataDir: join(dir, 'busy-data') }),
      );
      const res = await onair(['serve', '--config', config], {
        ONAIR_ADMIN_TOKEN: 'busy-port-admin',
      });
      expect(res.status).toBe(1);
      expect(res.stderr).toContain(
        `onair cannot start: cannot listen on 127.0.0.1:${String(port)}: another program already uses this port`,
      );
      expect(res.stderr).not.toMatch(/^\s+at /m);
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }
  });

  it('prints an observation as JSON', async () => {
    owncast.goLive('CLI check', new Date('2026-01-01T00:00:00Z'));
    const res = await onair(['check', 'owncast', owncast.url]);
    expect(res.status).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({
      kind: 'live',
      title: 'CLI check',
      startedAt: Date.parse('2026-01-01T00:00:00Z'),
    });
    const failed = await onair(['check', 'owncast', 'http://127.0.0.1:1']);
    expect(failed.status).toBe(1);
    expect(JSON.parse(failed.stdout)).toMatchObject({ kind: 'failed' });
    expect((await onair(['check', 'myspace', 'http://x'])).status).toBe(2);
    expect((await onair(['frobnicate'])).status).toBe(2);
  });

  it('serves: prints a generated token once, notifies, and stops cleanly on SIGTERM', async () => {
    owncast.goOffline();
    const config = join(dir, 'serve.yaml');
    writeFileSync(
      config,
      stringify({
        server: { host: '127.0.0.1', port: 0 },
        dataDir: join(dir, 'data'),
        poll: { interval: '1s' },
        log: { level: 'warn' },
        targets: [{ id: 'ops', type: 'webhook', url: receiver.url }],
        channels: [{ id: 'alice', platform: 'owncast', url: owncast.url, notify: ['ops'] }],
      }),
    );
    const start = () => {
      const child = spawn(process.execPath, [BIN, 'serve', '--config', config], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      return { child, stderr: () => stderr };
    };
    const first = start();
    await waitFor(() => first.stderr().includes('generated an admin token'), 15_000);
    expect(first.stderr()).toMatch(/onair_[A-Za-z0-9_-]{20,}/);
    await new Promise((resolve) => setTimeout(resolve, 2_500)); // first sight: offline
    owncast.goLive('From the CLI', new Date());
    await waitFor(() => receiver.events.includes('live:From the CLI'), 15_000);
    first.child.kill('SIGTERM');
    const code = await new Promise((resolve) => first.child.once('exit', resolve));
    expect(code).toBe(0);

    const second = start();
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    second.child.kill('SIGTERM');
    await new Promise((resolve) => second.child.once('exit', resolve));
    expect(second.stderr()).not.toContain('generated an admin token');
    expect(receiver.events).toEqual(['live:From the CLI']);
  }, 60_000);
});
