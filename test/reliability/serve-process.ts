import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/onair.js');

/** `bin/onair.js` runs the compiled CLI; CI builds it in `npm ci` (prepare), a fresh tree may not have. */
export function ensureBuilt(): void {
  if (existsSync(join(ROOT, 'dist/cli/main.js'))) return;
  const build = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], {
    encoding: 'utf8',
    cwd: ROOT,
  });
  if (build.status !== 0) throw new Error(`build failed: ${build.stdout}${build.stderr}`);
}

export interface ServeProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** `http://127.0.0.1:port`, from its "onair started" log line. */
  readonly url: string;
  /** The last log lines (pino JSON on stdout, anything else on stderr); it must log at `info` or below. */
  readonly lines: string[];
  /** Resolves with the exit code (or signal name) once the process ended. */
  readonly exited: Promise<number | string>;
}

/** Starts `onair serve --config FILE` (a real process) and waits until it listens. */
export async function startServe(
  config: string,
  env: Readonly<Record<string, string>> = {},
  timeoutMs = 20_000,
): Promise<ServeProcess> {
  const child = spawn(process.execPath, [BIN, 'serve', '--config', config], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  const lines: string[] = [];
  const started: { url: string | null } = { url: null };
  let partial = '';
  const onData = (chunk: Buffer) => {
    partial += chunk.toString('utf8');
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      // Long runs (the soak) log a line per delivery: keep the tail only.
      if (lines.length > 2_000) lines.splice(0, 1_000);
      if (started.url === null && line.includes('"onair started"'))
        started.url = (JSON.parse(line) as { url: string }).url;
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => {
      resolve(code ?? signal ?? 'unknown');
    }),
  );
  const deadline = Date.now() + timeoutMs;
  while (started.url === null) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`onair serve exited early:\n${lines.join('\n')}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`onair serve did not start in ${timeoutMs} ms:\n${lines.join('\n')}`);
    }
    await sleep(20);
  }
  if (child.pid === undefined) throw new Error('no pid');
  return { child, pid: child.pid, url: started.url, lines, exited };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resident set size of a process, in bytes (Linux `/proc`). */
export function rssOf(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : 0;
}

/** Open file descriptors of a process, and how many of them are sockets (Linux `/proc`). */
export function fdsOf(pid: number): { fds: number; sockets: number } {
  const dir = `/proc/${pid}/fd`;
  let sockets = 0;
  const entries = readdirSync(dir);
  for (const fd of entries) {
    try {
      if (readlinkSync(join(dir, fd)).startsWith('socket:')) sockets++;
    } catch {
      // closed between listing and reading
    }
  }
  return { fds: entries.length, sockets };
}

/** Figures of the last run, for docs/RELIABILITY.md (`test-artifacts/` is not committed). */
export function recordFigures(name: string, figures: unknown): void {
  const dir = join(ROOT, 'test-artifacts/reliability');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(figures, null, 2)}\n`);
  console.log(`[reliability] ${name}: ${JSON.stringify(figures)}`);
}
