import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { stringify } from 'yaml';
import { FlvDemuxer, flvHeader, writeTag, type FlvTag } from '../../src/core/flv/tags.js';
import { loadOnairConfig, startOnair, type Onair } from '../../src/main.js';
import { listen, type Running } from '../fake-servers/listen.js';
import { SECRET } from './hls-peers.js';

/** Real peers for the recorder tests (TEST-PEERS.md): ffprobe checks, an FLV source with a mid-stream change. */

export const ADMIN = 'record-e2e-admin-token';

/** A plugin extractor that signs fresh nginx URLs (`/t/<md5>/<expires>/live/index.m3u8`) living `lifetimeS`. */
export function writeSignPlugin(dir: string, origin: string, lifetimeS: number): string {
  const plugin = join(dir, 'sign-plugin.mjs');
  writeFileSync(
    plugin,
    `import { createHash } from 'node:crypto';
export async function resolve() {
  const expires = Math.floor(Date.now() / 1000) + ${lifetimeS};
  const md5 = createHash('md5').update(expires + '/live ${SECRET}').digest('base64url');
  return [{ url: '${origin}/t/' + md5 + '/' + expires + '/live/index.m3u8', quality: 'best', expiresAt: expires * 1000 }];
}
`,
  );
  return plugin;
}

/** Writes an onair config for the recorder tests into `dir` and returns its path. */
export function writeConfig(dir: string, config: Record<string, unknown>): string {
  const file = join(dir, 'onair.yaml');
  writeFileSync(
    file,
    stringify({
      dataDir: join(dir, 'data'),
      auth: { adminToken: ADMIN },
      log: { level: 'silent' },
      server: { host: '127.0.0.1', port: 0 },
      ...config,
    }),
  );
  return file;
}

/** The whole app in process on the real clock, not listening. */
export async function startRecordingOnair(
  dir: string,
  config: Record<string, unknown>,
): Promise<Onair> {
  const loaded = loadOnairConfig(writeConfig(dir, config), {});
  return startOnair({
    loaded,
    logger: pino({ level: process.env['ONAIR_E2E_LOG'] ?? 'silent' }),
    listen: false,
  });
}

export async function api(
  onair: Onair,
  method: 'GET' | 'POST' | 'DELETE',
  url: string,
): Promise<{ status: number; json: unknown }> {
  const res = await onair.http.inject({
    method,
    url,
    headers: { authorization: `Bearer ${ADMIN}` },
  });
  return {
    status: res.statusCode,
    json: res.body === '' ? null : (JSON.parse(res.body) as unknown),
  };
}

export function run(
  binary: string,
  args: readonly string[],
  timeoutMs = 120_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      binary,
      args,
      { timeout: timeoutMs, maxBuffer: 64 * 1_048_576 },
      (error, stdout, stderr) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

/** Container duration in seconds, as ffprobe reads it (0 when unreadable). */
export async function duration(file: string): Promise<number> {
  const res = await run('ffprobe', [
    '-v',
    'error',
    '-show_entries',
    'format=duration',
    '-of',
    'csv=p=0',
    file,
  ]);
  return Number(res.stdout.trim()) || 0;
}

/** Video frames' pts (s), width and height, in order. */
export async function frames(
  file: string,
): Promise<{ pts: number; width: number; height: number }[]> {
  const res = await run('ffprobe', [
    '-v',
    'error',
    '-select_streams',
    'v',
    '-show_entries',
    'frame=pts_time,width,height',
    '-of',
    'csv=p=0',
    file,
  ]);
  return res.stdout
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [pts, width, height] = l.split(',');
      return { pts: Number(pts), width: Number(width), height: Number(height) };
    });
}

/** What `ffmpeg -v error` says while decoding the whole file (empty: clean). */
export async function decodeErrors(file: string): Promise<string> {
  const res = await run('ffmpeg', ['-v', 'error', '-nostdin', '-i', file, '-f', 'null', '-']);
  return res.stderr.trim();
}

/** Largest step between consecutive video timestamps, in seconds. */
export function largestStep(pts: readonly number[]): number {
  let largest = 0;
  for (let i = 1; i < pts.length; i++) largest = Math.max(largest, pts[i]! - pts[i - 1]!);
  return largest;
}

/**
 * An FLV whose video size changes mid-stream, the way a publisher reconnect looks (TEST-PEERS.md):
 * two encodes (640x360, then 320x240 from 5 s on), joined tag by tag with the second part's
 * onMetaData and sequence headers re-stamped at its first media timestamp.
 */
export async function makeResolutionChangeFlv(dir: string, secondsEach: number): Promise<string> {
  const encode = async (name: string, size: string, offsetS: number) => {
    const out = join(dir, name);
    // prettier-ignore
    const res = await run('ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-nostdin', '-y',
      '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=25`, '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100',
      '-t', String(secondsEach), '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '25',
      '-c:a', 'aac', '-output_ts_offset', String(offsetS), '-f', 'flv', out,
    ]);
    if (res.code !== 0) throw new Error(`ffmpeg could not encode ${name}: ${res.stderr}`);
    return readFileSync(out);
  };
  const parts = [
    await encode('a.flv', '640x360', 0),
    await encode('b.flv', '320x240', secondsEach),
  ];
  const isHeader = (t: FlvTag) =>
    t.info.kind === 'script' || (t.info.kind !== 'other' && t.info.config);
  const tagLists = parts.map((bytes) =>
    new FlvDemuxer().push(bytes).flatMap((e) => (e.kind === 'tag' ? [e.tag] : [])),
  );
  const chunks: Uint8Array[] = [flvHeader({ audio: true, video: true })];
  tagLists.forEach((tags, i) => {
    const firstMedia = tags.find((t) => !isHeader(t))?.timestamp ?? 0;
    // A publisher that reconnects sends nothing of the old session after the new one starts:
    // drop the AAC tail (and any frame) that would overlap the next part's first timestamp.
    const next = tagLists[i + 1]?.find((t) => !isHeader(t))?.timestamp ?? Number.POSITIVE_INFINITY;
    for (const tag of tags) {
      if (isHeader(tag)) chunks.push(writeTag(tag.flags, firstMedia, tag.data));
      else if (tag.timestamp < next) chunks.push(writeTag(tag.flags, tag.timestamp, tag.data));
    }
  });
  const joined = join(dir, 'joined.flv');
  writeFileSync(joined, Buffer.concat(chunks));
  return joined;
}

/**
 * Serves `file` as live HTTP-FLV at `/live.flv`: each client gets its own `ffmpeg -re -c copy -f
 * flv` of the file (ffmpeg's `-listen 1` serves a single client, and a probe would take it);
 * once one client has had all of it, the stream is over (404).
 * Every ffmpeg is stopped by its PID when its client leaves or the server closes.
 */
export async function startFlvSource(
  file: string,
): Promise<Running & { readonly children: Set<ChildProcess> }> {
  const children = new Set<ChildProcess>();
  // Once a client got the whole file, the publisher is gone: 404 from then on, like a media server.
  let ended = false;
  const running = await listen((req, res) => {
    if (ended || !(req.url ?? '').startsWith('/live.flv')) {
      res.writeHead(404).end();
      return;
    }
    const child = spawn(
      'ffmpeg',
      [
        '-hide_banner',
        '-loglevel',
        'error',
        '-nostdin',
        '-re',
        '-i',
        file,
        '-c',
        'copy',
        '-f',
        'flv',
        'pipe:1',
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    children.add(child);
    res.writeHead(200, { 'content-type': 'video/x-flv' });
    child.stdout.pipe(res);
    const stop = () => {
      if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    };
    res.on('close', stop);
    child.on('exit', (code) => {
      if (code === 0) ended = true;
      children.delete(child);
      res.end();
    });
  });
  return {
    ...running,
    children,
    async close() {
      for (const child of children) if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
      await running.close();
    },
  };
}
