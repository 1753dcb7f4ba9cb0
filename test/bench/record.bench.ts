/**
 * `npm run bench:record`: CPU seconds per recorded stream-second of onair's native HLS recorder
 * versus `ffmpeg -c copy` and streamlink on the same live source (ffmpeg live HLS behind nginx),
 * all three at once in one run; then 20 simultaneous recordings in one onair process with the
 * number of lost segments (gaps in the sidecars). onair runs as its own process (`onair serve`),
 * like the baselines, and each process's CPU is read from /proc over the same window.
 * Last line: {"bench":"record","cpuPerStreamSec":…,"ffmpegCpuPerStreamSec":…,"streamlinkCpuPerStreamSec":…,"lostSegments":…}.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startFfmpeg, startNginx, stopNginx, waitFor } from '../e2e/hls-peers.js';
import { writeConfig } from '../e2e/record-peers.js';

const RECORD_S = Number(process.env['BENCH_RECORD_S'] ?? 20);
const STREAMS = Number(process.env['BENCH_STREAMS'] ?? 20);
const TICKS_PER_S = 100;
const root = join(import.meta.dirname, '../..');

/** User + system CPU seconds of a process so far. */
function cpu(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S;
}

function serve(config: string): ChildProcess {
  const run = `import { main } from './src/cli/main.ts'; process.exitCode = await main(process.argv.slice(1), process.env);`;
  return spawn(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', run, 'serve', '--config', config],
    { cwd: root, stdio: 'ignore' },
  );
}

function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGINT'): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve();
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      resolve();
    });
  });
  process.kill(child.pid, signal);
  return exited;
}

function files(dir: string, ext: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith(ext))
    .map((f) => join(dir, f));
}

const bytesIn = (paths: readonly string[]) =>
  paths.reduce((n, p) => n + (existsSync(p) ? statSync(p).size : 0), 0);

/** CPU of `pid` over RECORD_S seconds that start once `started()` says it writes. */
async function measure(
  pid: number,
  started: () => boolean,
  what: string,
): Promise<{ cpuS: number; wallS: number }> {
  await waitFor(started, 60_000, `${what} to write`);
  const c0 = cpu(pid);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, RECORD_S * 1_000));
  return { cpuS: cpu(pid) - c0, wallS: (performance.now() - t0) / 1_000 };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'onair-bench-record-'));
  const source = startFfmpeg(dir);
  const nginx = await startNginx(dir, dir);
  const children: ChildProcess[] = [source];
  try {
    await waitFor(
      () => existsSync(join(dir, 'live', 'index.m3u8')),
      20_000,
      'ffmpeg to write a playlist',
    );
    const url = `${nginx.origin}/plain/live/index.m3u8`;

    // Phase 1: one stream, three recorders at once, same source, same window.
    const one = join(dir, 'one');
    mkdirSync(one);
    const onair = serve(
      writeConfig(one, {
        server: { host: '127.0.0.1', port: await freePort() },
        poll: { interval: '60s' },
        recordings: { minFreeSpace: '1MB' },
        channels: [{ id: 'cam', platform: 'hls', url, record: true }],
      }),
    );
    const ffmpegOut = join(dir, 'ffmpeg.ts');
    const streamlinkOut = join(dir, 'streamlink.ts');
    const ffmpeg = spawn(
      'ffmpeg',
      [
        '-hide_banner',
        '-loglevel',
        'quiet',
        '-nostdin',
        '-y',
        '-i',
        url,
        '-c',
        'copy',
        '-f',
        'mpegts',
        ffmpegOut,
      ],
      { stdio: 'ignore' },
    );
    const streamlink = spawn(
      'streamlink',
      ['--loglevel', 'error', '-f', '-o', streamlinkOut, `hls://${url}`, 'best'],
      { stdio: 'ignore' },
    );
    children.push(onair, ffmpeg, streamlink);
    const [o, f, s] = await Promise.all([
      measure(
        onair.pid!,
        () => bytesIn(files(join(one, 'data', 'recordings'), '.ts')) > 0,
        'onair',
      ),
      measure(ffmpeg.pid!, () => bytesIn([ffmpegOut]) > 0, 'ffmpeg'),
      measure(streamlink.pid!, () => bytesIn([streamlinkOut]) > 0, 'streamlink'),
    ]);
    await Promise.all([stop(onair, 'SIGTERM'), stop(ffmpeg), stop(streamlink)]);
    const perSec = (m: { cpuS: number; wallS: number }) => m.cpuS / m.wallS;
    console.log(
      `one stream, ${RECORD_S} s: onair ${o.cpuS.toFixed(2)} CPU s, ffmpeg -c copy ${f.cpuS.toFixed(2)}, streamlink ${s.cpuS.toFixed(2)}`,
    );

    // Phase 2: STREAMS channels on the same source recorded by one onair process.
    const many = join(dir, 'many');
    mkdirSync(many);
    const channels = Array.from({ length: STREAMS }, (_, i) => ({
      id: `cam${i}`,
      platform: 'hls',
      url: `${url}?c=${i}`,
      record: true,
    }));
    const manyOnair = serve(
      writeConfig(many, {
        server: { host: '127.0.0.1', port: await freePort() },
        poll: { interval: '60s' },
        recordings: { minFreeSpace: '1MB' },
        channels,
      }),
    );
    children.push(manyOnair);
    const recordings = join(many, 'data', 'recordings');
    const m = await measure(
      manyOnair.pid!,
      () => files(recordings, '.ts').filter((p) => statSync(p).size > 0).length === STREAMS,
      `${STREAMS} recordings`,
    );
    await stop(manyOnair, 'SIGTERM');
    let lost = 0;
    let segments = 0;
    for (const sidecar of files(recordings, '.json')) {
      const parsed = JSON.parse(readFileSync(sidecar, 'utf8')) as {
        segments: number;
        gaps: { fromMsn?: number; toMsn?: number }[];
      };
      segments += parsed.segments;
      for (const gap of parsed.gaps)
        lost +=
          gap.fromMsn !== undefined && gap.toMsn !== undefined ? gap.toMsn - gap.fromMsn + 1 : 1;
    }
    const parts = files(recordings, '.ts').length;
    console.log(
      `${STREAMS} streams, ${RECORD_S} s: onair ${m.cpuS.toFixed(2)} CPU s (${(m.cpuS / (STREAMS * m.wallS)).toFixed(4)} per stream-second), ${parts} parts, ${segments} segments, ${lost} lost`,
    );
    console.log(
      JSON.stringify({
        bench: 'record',
        cpuPerStreamSec: Number(perSec(o).toFixed(4)),
        ffmpegCpuPerStreamSec: Number(perSec(f).toFixed(4)),
        streamlinkCpuPerStreamSec: Number(perSec(s).toFixed(4)),
        cpuPerStreamSec20: Number((m.cpuS / (STREAMS * m.wallS)).toFixed(4)),
        lostSegments: lost,
      }),
    );
  } finally {
    for (const child of children) await stop(child, 'SIGKILL');
    stopNginx(nginx.pidFile);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
