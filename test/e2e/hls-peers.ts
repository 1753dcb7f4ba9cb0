import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { UndiciHttpClient } from '../../src/adapters/http-client/undici-http-client.js';
import { systemClock, systemTimers } from '../../src/adapters/time/system-time.js';
import type { Channel } from '../../src/core/model.js';
import { playbackRoutes } from '../../src/http/routes/playback.routes.js';
import { proxyRoutes } from '../../src/http/routes/proxy.routes.js';
import { streamsRoutes } from '../../src/http/routes/streams.routes.js';
import { createPlayback } from '../../src/main.js';
import { listen, type Running } from '../fake-servers/listen.js';

/** Real peers for the HLS proxy (TEST-PEERS.md): ffmpeg live HLS behind nginx secure_link. */

export const SECRET = 'onair-e2e-secret';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

/** `/t/<md5>/<expires>/live/<file>`: the token in the path, so relative URIs inherit it. */
export function signLive(origin: string, lifetimeS: number): { url: string; expiresAt: number } {
  const expires = Math.floor(Date.now() / 1000) + lifetimeS;
  const md5 = createHash('md5').update(`${expires}/live ${SECRET}`).digest('base64url');
  return { url: `${origin}/t/${md5}/${expires}/live/index.m3u8`, expiresAt: expires * 1000 };
}

/** ffmpeg writing a live 1-s-segment HLS stream into `<dir>/live`. */
export function startFfmpeg(dir: string): ChildProcess {
  mkdirSync(join(dir, 'live'), { recursive: true });
  // prettier-ignore
  const args = [
    '-hide_banner', '-loglevel', 'warning', '-nostdin',
    '-re', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30', '-re', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p', '-g', '30', '-keyint_min', '30', '-sc_threshold', '0',
    '-c:a', 'aac', '-f', 'hls', '-hls_time', '1', '-hls_list_size', '6', '-hls_flags', 'delete_segments',
    '-hls_segment_filename', join(dir, 'live', 'seg_%05d.ts'), join(dir, 'live', 'index.m3u8'),
  ];
  return spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'inherit'] });
}

/**
 * nginx on 127.0.0.1: `/t/<md5>/<expires>/live/…` checked by secure_link (403 bad, 410
 * expired); `/plain/…` serves the same files without a token (the benchmark's baseline). CORS is
 * open, like a CDN's, so a player on another origin fails only for the token.
 */
export async function startNginx(
  dir: string,
  filesDir: string,
  options: { readonly accessLog?: string } = {},
): Promise<{ origin: string; pidFile: string }> {
  const port = await freePort();
  // mkdtemp makes 0700 directories; nginx's workers (user nobody when started as root) must read the files.
  chmodSync(filesDir, 0o755);
  mkdirSync(join(filesDir, 'live'), { recursive: true, mode: 0o755 });
  chmodSync(join(filesDir, 'live'), 0o755);
  mkdirSync(join(dir, 'logs'), { recursive: true });
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  const conf = `
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log ${options.accessLog ?? 'off'};
  client_body_temp_path ${dir}/tmp/body; proxy_temp_path ${dir}/tmp/proxy; fastcgi_temp_path ${dir}/tmp/fcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi; scgi_temp_path ${dir}/tmp/scgi;
  types { application/vnd.apple.mpegurl m3u8; video/mp2t ts; }
  sendfile on; keepalive_requests 100000;
  map $uri $cache { ~\\.m3u8$ "no-cache"; default "max-age=60"; }
  server {
    listen 127.0.0.1:${port};
    location ^~ /t/ {
      location ~ ^/t/(?<tok>[^/]+)/(?<exp>\\d+)/(?<file>live/[^/]+)$ {
        secure_link $tok,$exp;
        secure_link_md5 "$exp/live ${SECRET}";
        if ($secure_link = "") { return 403; }
        if ($secure_link = "0") { return 410; }
        add_header Cache-Control $cache;
        add_header Access-Control-Allow-Origin * always;
        root ${filesDir};
        try_files /$file =404;
      }
      return 403;
    }
    location ^~ /plain/ { alias ${filesDir}/; add_header Cache-Control $cache; add_header Access-Control-Allow-Origin * always; }
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
  return { origin: `http://127.0.0.1:${port}`, pidFile: join(dir, 'nginx.pid') };
}

/** Stops nginx by the PID in its pid file (never by name). */
export function stopNginx(pidFile: string): void {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (Number.isInteger(pid) && pid > 0) {
    try {
      process.kill(pid, 'SIGQUIT');
    } catch {
      // already gone
    }
  }
}

export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * A live tokenized origin: ffmpeg writing `<dir>/live` and nginx serving it (secure_link under
 * `/t/…`, plain under `/plain/…`), ready once nginx serves a freshly signed playlist.
 */
export async function startLiveOrigin(
  dir: string,
): Promise<{ ffmpeg: ChildProcess; nginxPidFile: string; origin: string }> {
  const ffmpeg = startFfmpeg(dir);
  const nginx = await startNginx(dir, dir);
  await waitFor(
    () => existsSync(join(dir, 'live', 'index.m3u8')),
    20_000,
    'ffmpeg to write a playlist',
  );
  await waitFor(
    async () => (await fetch(signLive(nginx.origin, 20).url)).status === 200,
    10_000,
    'nginx to serve the playlist',
  );
  return { ffmpeg, nginxPidFile: nginx.pidFile, origin: nginx.origin };
}

/**
 * onair's playback stack as `createPlayback` composes it, with a plugin extractor that signs
 * fresh nginx URLs (`lifetimeS` seconds), served by Fastify on 127.0.0.1.
 */
export async function startOnairProxy(
  dir: string,
  nginxOrigin: string,
  lifetimeS: number,
): Promise<{ url: string; app: FastifyInstance; stop(): Promise<void> }> {
  const plugin = join(dir, 'sign-plugin.mjs');
  writeFileSync(
    plugin,
    `import { createHash } from 'node:crypto';
export async function resolve() {
  const expires = Math.floor(Date.now() / 1000) + ${lifetimeS};
  const md5 = createHash('md5').update(expires + '/live ${SECRET}').digest('base64url');
  return [{ url: '${nginxOrigin}/t/' + md5 + '/' + expires + '/live/index.m3u8', quality: 'best', expiresAt: expires * 1000 }];
}
`,
  );
  const channel: Channel = {
    id: 'cam',
    platform: 'hls',
    url: `${nginxOrigin}/live`,
    name: null,
    intervalMs: null,
    options: {},
  };
  const settings = new Map<string, string>();
  const http = new UndiciHttpClient({ connectionsPerOrigin: 16, userAgent: 'onair-e2e' });
  const playback = await createPlayback({
    config: {
      refresh: { interval: 240_000, closeAfter: 10_000 },
      extractors: [{ use: 'plugin', module: plugin }],
      poll: { timeout: 10_000 },
    },
    store: {
      getChannel: async (id) =>
        id === channel.id
          ? { ...channel, source: 'config', createdAt: 0, updatedAt: 0 }
          : undefined,
      getSetting: async (key) => settings.get(key),
      setSetting: async (key, value) => {
        settings.set(key, value);
      },
    },
    clock: systemClock,
    timers: systemTimers,
    logger: pino({ level: process.env['ONAIR_E2E_LOG'] ?? 'silent' }),
    http,
  });
  const app = Fastify({ forceCloseConnections: true });
  await app.register(playbackRoutes(playback), { prefix: '/api/v1' });
  await app.register(proxyRoutes(playback), { prefix: '/api/v1' });
  await app.register(streamsRoutes(playback), { prefix: '/api/v1' });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url,
    app,
    async stop() {
      await app.close();
      await playback.stop();
      await http.close();
    },
  };
}

/** A page server for hls.js: `/?src=<url>` plays `src` muted and records errors. */
export async function startPageServer(): Promise<Running> {
  const hlsJs = await readFile(
    join(import.meta.dirname, '../../node_modules/hls.js/dist/hls.min.js'),
  );
  const page = `<!doctype html><html><body><video id="v" muted playsinline></video>
<script src="/hls.min.js"></script>
<script>
  const src = new URLSearchParams(location.search).get('src');
  window.__errors = [];
  const video = document.getElementById('v');
  const hls = new Hls({ liveSyncDurationCount: 3 });
  hls.on(Hls.Events.ERROR, (_e, d) => window.__errors.push({ details: d.details, fatal: d.fatal, code: d.response ? d.response.code : (d.networkDetails && d.networkDetails.status) || null }));
  hls.loadSource(src);
  hls.attachMedia(video);
  hls.on(Hls.Events.MANIFEST_PARSED, () => { video.play().catch((e) => window.__errors.push({ details: 'play:' + e.message, fatal: false })); });
</script></body></html>`;
  return listen((req, res) => {
    if ((req.url ?? '').startsWith('/hls.min.js')) {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(hlsJs);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(page);
  });
}
