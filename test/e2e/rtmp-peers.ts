import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { listen, type Running } from '../fake-servers/listen.js';
import { freePort } from './hls-peers.js';

/**
 * Real live servers as self-hosters run them (TEST-PEERS.md): nginx with Debian's RTMP module
 * taking an RTMP push from ffmpeg and serving live HLS, and a plain ffmpeg HLS writer behind the
 * same nginx. Everything binds to 127.0.0.1 and is stopped by its PID.
 */

export const RTMP_MODULE = '/usr/lib/nginx/modules/ngx_rtmp_module.so';

export interface RtmpServer {
  /** `rtmp://127.0.0.1:<port>/live/<stream>`: where ffmpeg publishes. */
  readonly publish: (stream: string) => string;
  /** `http://127.0.0.1:<port>/hls/<stream>.m3u8`: nginx-rtmp's live HLS of a stream. */
  readonly hls: (stream: string) => string;
  /** `http://127.0.0.1:<port>/plain/`: files under `<dir>/plain`, for a plain ffmpeg HLS writer. */
  readonly plain: string;
  readonly plainDir: string;
  readonly pidFile: string;
}

/**
 * nginx with `load_module ngx_rtmp_module.so`: RTMP on one free port (`application live`, HLS
 * with 1-s fragments into `<dir>/rtmp-hls`), HTTP on another serving that HLS under `/hls/` and
 * `<dir>/plain` under `/plain/`.
 */
export async function startNginxRtmp(dir: string): Promise<RtmpServer> {
  const rtmpPort = await freePort();
  const httpPort = await freePort();
  const hlsDir = join(dir, 'rtmp-hls');
  const plainDir = join(dir, 'plain');
  // mkdtemp makes 0700 folders: nginx's workers must pass through the one above too.
  chmodSync(dirname(dir), 0o755);
  for (const d of [dir, hlsDir, plainDir]) {
    mkdirSync(d, { recursive: true });
    // nginx's workers (nobody, when started as root) must read and write here.
    chmodSync(d, 0o777);
  }
  mkdirSync(join(dir, 'logs'), { recursive: true });
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  const conf = `
load_module ${RTMP_MODULE};
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log warn;
events { worker_connections 256; }
rtmp {
  server {
    listen 127.0.0.1:${rtmpPort};
    application live {
      live on;
      hls on;
      hls_path ${hlsDir};
      hls_fragment 1s;
      hls_playlist_length 20s;
    }
  }
}
http {
  access_log off;
  client_body_temp_path ${dir}/tmp/body; proxy_temp_path ${dir}/tmp/proxy; fastcgi_temp_path ${dir}/tmp/fcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi; scgi_temp_path ${dir}/tmp/scgi;
  types { application/vnd.apple.mpegurl m3u8; video/mp2t ts; application/octet-stream key; }
  server {
    listen 127.0.0.1:${httpPort};
    location /hls/ { alias ${hlsDir}/; add_header Cache-Control no-cache; }
    location /plain/ { alias ${plainDir}/; add_header Cache-Control no-cache; }
  }
}`;
  writeFileSync(join(dir, 'nginx.conf'), conf);
  const child = spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon on;'], {
    stdio: 'inherit',
  });
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`nginx exited with ${code}`));
    });
  });
  const http = `http://127.0.0.1:${httpPort}`;
  return {
    publish: (stream) => `rtmp://127.0.0.1:${rtmpPort}/live/${stream}`,
    hls: (stream) => `${http}/hls/${stream}.m3u8`,
    plain: `${http}/plain/`,
    plainDir,
    pidFile: join(dir, 'nginx.pid'),
  };
}

/** Test pattern and tone, 320x180 at 30 fps with a key frame every second (cheap on a shared CPU). */
// prettier-ignore
const SOURCE = [
  '-hide_banner', '-loglevel', 'error', '-nostdin',
  '-re', '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=30', '-re', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
];
// prettier-ignore
const ENCODE = [
  '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p',
  '-g', '30', '-keyint_min', '30', '-sc_threshold', '0', '-c:a', 'aac',
];

/** ffmpeg publishing to an RTMP URL; `seconds`: a clean end after that long, else until killed. */
export function pushRtmp(url: string, seconds?: number): ChildProcess {
  const duration = seconds === undefined ? [] : ['-t', String(seconds)];
  return spawn('ffmpeg', [...SOURCE, ...duration, ...ENCODE, '-f', 'flv', url], {
    stdio: ['ignore', 'ignore', 'ignore'],
  });
}

/**
 * A plain ffmpeg HLS writer (1-s segments, a window of 6) into `<dir>/<name>/index.m3u8`;
 * `keyInfo`: encrypt with AES-128 (`-hls_key_info_file`); `seconds`: end cleanly (`#EXT-X-ENDLIST`).
 */
export function writeHls(
  dir: string,
  name: string,
  options: { keyInfo?: string; seconds?: number } = {},
): ChildProcess {
  const out = join(dir, name);
  mkdirSync(out, { recursive: true });
  chmodSync(out, 0o755);
  // prettier-ignore
  const args = [
    ...SOURCE, ...(options.seconds === undefined ? [] : ['-t', String(options.seconds)]), ...ENCODE,
    '-f', 'hls', '-hls_time', '1', '-hls_list_size', '6', '-hls_flags', 'delete_segments',
    ...(options.keyInfo === undefined ? [] : ['-hls_key_info_file', options.keyInfo]),
    '-hls_segment_filename', join(out, 'seg_%05d.ts'), join(out, 'index.m3u8'),
  ];
  return spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'ignore'] });
}

/** Sends a signal to a child by its PID, if it still runs; resolves once it has exited. */
export function stopChild(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (child?.pid === undefined || child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve();
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      resolve();
    });
  });
  try {
    process.kill(child.pid, signal);
  } catch {
    // It exited between the check and the signal.
    return Promise.resolve();
  }
  return exited;
}

/** Resolves once a child has exited (at once if it already has). */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => {
      resolve();
    });
  });
}

/**
 * An HTTP-FLV relay of an RTMP stream, as media servers offer it: each `GET /live.flv` gets its own
 * `ffmpeg -i <rtmp> -c copy -f flv` (nginx-rtmp holds a player of a stream nobody publishes, so a
 * relay whose publisher died answers 200 and sends nothing). Every ffmpeg is stopped by its PID.
 */
export async function startFlvRelay(rtmpUrl: string): Promise<Running & { readonly url: string }> {
  const children = new Set<ChildProcess>();
  const running = await listen((req, res) => {
    if ((req.url ?? '').split('?')[0] !== '/live.flv') {
      res.writeHead(404).end();
      return;
    }
    // prettier-ignore
    const child = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-analyzeduration', '1000000', '-i', rtmpUrl, '-c', 'copy', '-f', 'flv', 'pipe:1'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    children.add(child);
    // Headers at once, as relays answer, whether or not the stream has a publisher.
    res.writeHead(200, { 'content-type': 'video/x-flv' }).flushHeaders();
    child.stdout.pipe(res);
    res.on('close', () => {
      void stopChild(child, 'SIGKILL');
    });
    child.on('exit', () => {
      children.delete(child);
      res.end();
    });
  });
  return {
    ...running,
    url: `${running.url}/live.flv`,
    async close() {
      for (const child of children) await stopChild(child, 'SIGKILL');
      await running.close();
    },
  };
}
