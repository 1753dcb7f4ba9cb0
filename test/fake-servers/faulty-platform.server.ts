import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** Every way an Owncast-shaped platform misbehaves here; `/<mode>/api/status` answers in that way. */
export const PLATFORM_FAULTS = [
  'hang',
  'reset',
  'error500',
  'error503',
  'malformed',
  'truncated',
  'gigantic',
  'slow',
  'redirectLoop',
  'redirectChain',
  'emptyBody',
  'html',
  'wrongShape',
] as const;
export type PlatformFault = (typeof PLATFORM_FAULTS)[number];

/** What a healthy Owncast answers, live, so any fault that leaked through would read as a go-live. */
const LIVE = JSON.stringify({
  online: true,
  viewerCount: 3,
  lastConnectTime: '2026-01-01T00:00:00Z',
  lastDisconnectTime: null,
  versionNumber: '0.2.3',
  streamTitle: 'leaked',
});
const OFFLINE = JSON.stringify({
  online: false,
  lastConnectTime: null,
  lastDisconnectTime: null,
  versionNumber: '0.2.3',
  streamTitle: '',
});

/**
 * A fake platform with one fault per path prefix, plus `/flip` (live and offline alternating
 * every `flipMs`, faster than onair polls) and `/healthy` (scripted by `healthyLive`). Counts the
 * requests per mode, bytes pushed at the gigantic one, and its open connections.
 */
export class FaultyPlatform {
  readonly requests = new Map<string, number>();
  /** Largest body the gigantic mode got out before the client hung up, per request. */
  giganticMaxBytes = 0;
  healthyLive = false;
  flipMs = 150;
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private flipStarted = Date.now();

  static async start(): Promise<FaultyPlatform> {
    const fake = new FaultyPlatform();
    const server = createServer((req, res) => {
      fake.handle(req, res);
    });
    server.on('connection', (socket) => {
      fake.sockets.add(socket);
      socket.once('close', () => fake.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    fake.server = server;
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  get openConnections(): number {
    return this.sockets.size;
  }

  get faultsInjected(): number {
    let n = 0;
    for (const [mode, count] of this.requests)
      if (mode !== 'healthy' && mode !== 'flip') n += count;
    return n;
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    for (const socket of this.sockets) socket.destroy();
    const server = this.server;
    if (server)
      await new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
  }

  private every(ms: number, fn: () => void): NodeJS.Timeout {
    const timer = setInterval(fn, ms);
    this.timers.add(timer);
    return timer;
  }

  private stop(timer: NodeJS.Timeout): void {
    clearInterval(timer);
    this.timers.delete(timer);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const match = /^\/([A-Za-z0-9]+)(?:\/(\d+))?\/api\/(status|config)$/.exec(
      (req.url ?? '').split('?')[0] ?? '',
    );
    if (!match) return void res.writeHead(404).end();
    const mode = match[1]!;
    const hop = Number(match[2] ?? 0);
    if (match[3] === 'config')
      return void res
        .writeHead(200, { 'content-type': 'application/json' })
        .end('{"name":"x","tags":[]}');
    this.requests.set(mode, (this.requests.get(mode) ?? 0) + 1);
    const json = (body: string, status = 200) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(body);
    switch (mode) {
      case 'healthy':
        return void json(this.healthyLive ? LIVE.replace('leaked', 'healthy') : OFFLINE);
      case 'flip':
        return void json(
          Math.floor((Date.now() - this.flipStarted) / this.flipMs) % 2 === 0
            ? LIVE.replace('leaked', 'flip')
            : OFFLINE,
        );
      case 'hang':
        return; // reads the request, never answers
      case 'reset':
        return void req.socket.destroy();
      case 'error500':
        return void json('{"error":"boom"}', 500);
      case 'error503':
        return void res.writeHead(503, { 'retry-after': '1' }).end();
      case 'malformed':
        return void json(LIVE.slice(0, -7) + '}}{');
      case 'truncated':
        // Promises the whole live body, sends half, then drops the connection.
        res.writeHead(200, {
          'content-type': 'application/json',
          'content-length': String(LIVE.length),
        });
        res.write(LIVE.slice(0, LIVE.length / 2));
        return void setImmediate(() => req.socket.destroy());
      case 'gigantic': {
        // A valid JSON start, then an endless string: the reader must stop at its byte cap.
        res.writeHead(200, { 'content-type': 'application/json' });
        let sent = 0;
        const chunk = Buffer.alloc(64 * 1024, 'x');
        res.write('{"streamTitle":"');
        const pump = () => {
          while (!res.destroyed && sent < 256 * 1024 * 1024) {
            sent += chunk.length;
            this.giganticMaxBytes = Math.max(this.giganticMaxBytes, sent);
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
        };
        pump();
        return;
      }
      case 'slow': {
        // One byte a second of a live body: read to the end it would be a go-live.
        res.writeHead(200, { 'content-type': 'application/json' });
        let i = 0;
        const timer = this.every(1_000, () => {
          if (res.destroyed || i >= LIVE.length) {
            this.stop(timer);
            if (!res.destroyed) res.end();
            return;
          }
          res.write(LIVE[i++]);
        });
        res.once('close', () => {
          this.stop(timer);
        });
        return;
      }
      case 'redirectLoop':
        return void res
          .writeHead(302, { location: `/redirectLoop/${hop === 0 ? 1 : 0}/api/status` })
          .end();
      case 'redirectChain':
        return void res.writeHead(302, { location: `/redirectChain/${hop + 1}/api/status` }).end();
      case 'emptyBody':
        return void json('');
      case 'html':
        return void res
          .writeHead(200, { 'content-type': 'text/html' })
          .end('<html><body>Cloudflare says hi</body></html>');
      case 'wrongShape':
        return void json('{"online":"yes","lastConnectTime":42,"streamTitle":["a"]}');
      default:
        return void res.writeHead(404).end();
    }
  }
}
