import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startLiveOrigin, stopNginx, waitFor } from './hls-peers.js';
import { ADMIN, decodeErrors, duration, writeConfig } from './record-peers.js';

const peersInstalled = ['/usr/bin/ffmpeg', '/usr/bin/ffprobe', '/usr/sbin/nginx'].every((p) =>
  existsSync(p),
);
const root = join(import.meta.dirname, '../..');

interface Part {
  id: string;
  part: number;
  status: string;
  bytes: number;
  file: string;
  endReason: string | null;
}

/** `onair serve` as its own process (one process: node with the tsx loader, so SIGKILL hits onair itself). */
function serve(config: string): ChildProcess {
  const run = `import { main } from './src/cli/main.ts'; process.exitCode = await main(process.argv.slice(1), process.env);`;
  return spawn(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', run, 'serve', '--config', config],
    { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] },
  );
}

function kill(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!child || child.pid === undefined || child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve();
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      resolve();
    });
  });
  process.kill(child.pid, signal);
  return exited;
}

function filesIn(dir: string, ext: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith(ext))
    .map((f) => join(dir, f));
}

describe.skipIf(!peersInstalled)('a recording killed with SIGKILL', () => {
  const dir = mkdtempSync(join(tmpdir(), 'onair-record-crash-'));
  const recordings = join(dir, 'data', 'recordings');
  let ffmpeg: ChildProcess | undefined;
  let nginxPid: string | undefined;
  let onair: ChildProcess | undefined;
  let naive: ChildProcess | undefined;
  let origin = '';

  beforeAll(async () => {
    ({ ffmpeg, nginxPidFile: nginxPid, origin } = await startLiveOrigin(dir));
  }, 30_000);

  afterAll(async () => {
    await kill(onair, 'SIGKILL');
    await kill(naive, 'SIGKILL');
    await kill(ffmpeg, 'SIGKILL');
    if (nginxPid) stopNginx(nginxPid);
    rmSync(dir, { recursive: true, force: true });
  });

  it('leaves a playable file, and the restart continues the session in a new part without touching it; a killed plain MP4 is unplayable', async () => {
    const port = await freePort();
    const url = `${origin}/plain/live/index.m3u8`;
    const config = writeConfig(dir, {
      server: { host: '127.0.0.1', port },
      log: { level: 'warn' },
      poll: { interval: '2s' },
      recordings: { minFreeSpace: '1MB' },
      channels: [{ id: 'cam', platform: 'hls', url, record: true }],
    });
    onair = serve(config);
    // The negative twin: a recorder writing a plain (non-fragmented) MP4, killed the same way.
    const naiveFile = join(dir, 'naive.mp4');
    naive = spawn(
      'ffmpeg',
      ['-hide_banner', '-loglevel', 'quiet', '-nostdin', '-y', '-i', url, '-c', 'copy', naiveFile],
      { stdio: 'ignore' },
    );
    await waitFor(
      () => filesIn(recordings, '.ts').some((f) => statSync(f).size > 1_500_000),
      40_000,
      'a megabyte and a half recorded',
    );
    await kill(onair, 'SIGKILL');
    await kill(naive, 'SIGKILL');
    const [first] = filesIn(recordings, '.ts');
    const killedSize = statSync(first!).size;
    expect(await duration(first!)).toBeGreaterThan(3);
    expect(await decodeErrors(first!)).toBe('');
    expect(await duration(naiveFile)).toBe(0);

    onair = serve(config);
    const list = async (): Promise<Part[]> => {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/api/v1/recordings?channel=cam`, {
          headers: { authorization: `Bearer ${ADMIN}` },
        });
        return res.ok ? ((await res.json()) as Part[]) : [];
      } catch {
        return [];
      }
    };
    await waitFor(
      async () => (await list()).some((p) => p.part === 2 && p.bytes > 1_000_000),
      40_000,
      'the second part',
    );
    const parts = await list();
    await kill(onair, 'SIGTERM');
    expect(parts.map((p) => [p.part, p.status, p.endReason])).toStrictEqual([
      [1, 'done', 'crash'],
      [2, 'recording', null],
    ]);

    const files = filesIn(recordings, '.ts').sort();
    expect(files).toHaveLength(2);
    // The first part is exactly as the kill left it: never reopened, never overwritten.
    expect(statSync(first!).size).toBe(killedSize);
    const second = files.find((f) => f !== first)!;
    expect(second).toMatch(/-part2\.ts$/);
    // A megabyte is at least two one-second segments of the test source.
    expect(await duration(second)).toBeGreaterThanOrEqual(2);
    expect(await decodeErrors(second)).toBe('');
    const sidecars = filesIn(recordings, '.json').sort();
    expect(sidecars).toHaveLength(2);
  }, 120_000);
});
