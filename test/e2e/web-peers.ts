import { spawn, type ChildProcess } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join, normalize, sep } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { pino } from 'pino';
import { stringify } from 'yaml';
import { loadOnairConfig, startOnair, type Onair } from '../../src/main.js';
import { listen, type Running } from '../fake-servers/listen.js';

/** Real peers for the web app's browser tests and memory bench (TEST-PEERS.md). */

export const WEB_TOKEN = 'web-e2e-admin-token';

/** ffmpeg writing a live HLS stream (1-s segments, window of 6) into `dir`: `stream.m3u8`, or `master.m3u8` with two variants. */
export function startLiveHls(
  dir: string,
  options: { size: string; variants?: boolean; frequency?: number },
): ChildProcess {
  mkdirSync(dir, { recursive: true });
  const input = [
    '-re',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=${options.size}:rate=30`,
    '-re',
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=${options.frequency ?? 440}:sample_rate=48000`,
  ];
  const encode = [
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-tune',
    'zerolatency',
    '-pix_fmt',
    'yuv420p',
    '-g',
    '30',
    '-keyint_min',
    '30',
    '-sc_threshold',
    '0',
    '-c:a',
    'aac',
    '-b:a',
    '64k',
  ];
  const hls = [
    '-f',
    'hls',
    '-hls_time',
    '1',
    '-hls_list_size',
    '6',
    '-hls_flags',
    'delete_segments',
  ];
  // prettier-ignore
  const args = options.variants
    ? [...input,
       '-filter_complex', '[0:v]split=2[va][vb];[vb]scale=640:360[vbs]', '-map', '[va]', '-map', '[vbs]', '-map', '1:a', '-map', '1:a',
       ...encode, ...hls, '-master_pl_name', 'master.m3u8', '-var_stream_map', 'v:0,a:0,name:hi v:1,a:1,name:lo',
       '-hls_segment_filename', join(dir, '%v', 'seg_%05d.ts'), join(dir, '%v', 'index.m3u8')]
    : [...input, ...encode, ...hls, '-hls_segment_filename', join(dir, 'seg_%05d.ts'), join(dir, 'stream.m3u8')];
  return spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', ...args], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/** Waits until ffmpeg has written its first playlist (a channel probed before then is offline at first sight). */
export async function waitForFile(file: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(file)) {
    if (Date.now() > deadline) throw new Error(`${file} did not appear within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Stops a child process by its PID and waits for it. */
export async function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.pid === undefined || child.exitCode !== null || child.signalCode !== null)
    return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

const TYPES: Record<string, string> = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.ts': 'video/mp2t',
  '.ics': 'text/calendar',
};

/**
 * A static origin: `/<mount>/<file>` serves `mounts[mount]/<file>`, so one encoder can stand for
 * several channels. Playlists are never cached, like a live origin.
 */
export async function startOrigin(mounts: Readonly<Record<string, string>>): Promise<Running> {
  return listen((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0] ?? '/');
    const [, mount = '', ...rest] = path.split('/');
    const root = mounts[mount];
    const file = root === undefined ? null : normalize(join(root, ...rest));
    if (
      root === undefined ||
      file === null ||
      !file.startsWith(root + sep) ||
      !existsSync(file) ||
      !statSync(file).isFile()
    ) {
      res.writeHead(404).end();
      return;
    }
    const ext = file.slice(file.lastIndexOf('.'));
    res.writeHead(200, {
      'content-type': TYPES[ext] ?? 'application/octet-stream',
      'cache-control': ext === '.m3u8' ? 'no-cache' : 'max-age=60',
    });
    createReadStream(file).pipe(res);
  });
}

/** onair itself, listening on a free loopback port with the real clock (the browser needs a socket and real time). */
export async function startWebOnair(dir: string, config: Record<string, unknown>): Promise<Onair> {
  const file = join(dir, 'onair.yaml');
  writeFileSync(
    file,
    stringify({
      server: { host: '127.0.0.1', port: 0 },
      dataDir: join(dir, 'data'),
      auth: { adminToken: WEB_TOKEN },
      log: { level: 'silent' },
      ...config,
    }),
  );
  return startOnair({ loaded: loadOnairConfig(file, {}), logger: pino({ level: 'silent' }) });
}

/** Debian's Chromium, headless, never reaching the internet. */
export function launchChromium(profileDir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profileDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
}

export const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts');
