import type { IncomingMessage, ServerResponse } from 'node:http';
import { listen, type Running } from './listen.js';

/** What the fake says about one Owncast instance (PROTOCOLS.md §1). */
export interface OwncastState {
  live: boolean;
  title: string;
  name: string;
  tags: string[];
  viewers: number;
  /** RFC 3339 seconds, as Owncast writes it; set when going live. */
  lastConnectTime: string | null;
}

/** Ways to misbehave, for fault tests. */
export type OwncastFault = null | 'error500' | 'hang' | 'garbage' | 'huge' | 'wrongShape' | 'reset';

/**
 * A fake Owncast: `/api/status` and `/api/config` under any path prefix, so one server can stand
 * for many instances (`<url>/c/<n>`). State is per prefix; `viewerCount` disappears at 0 like Go's
 * omitempty; `lastConnectTime` is null while offline.
 */
export class FakeOwncast {
  private readonly states = new Map<string, OwncastState>();
  fault: OwncastFault = null;
  /** Only `/api/config` answers 500 (status keeps working). */
  configFails = false;
  statusRequests = 0;
  configRequests = 0;
  private running: Running | null = null;

  static async start(): Promise<FakeOwncast> {
    const fake = new FakeOwncast();
    fake.running = await listen((req, res) => {
      fake.handle(req, res);
    });
    return fake;
  }

  get url(): string {
    if (!this.running) throw new Error('not started');
    return this.running.url;
  }

  state(prefix = ''): OwncastState {
    let s = this.states.get(prefix);
    if (!s) {
      s = {
        live: false,
        title: '',
        name: 'Fake Owncast',
        tags: [],
        viewers: 0,
        lastConnectTime: null,
      };
      this.states.set(prefix, s);
    }
    return s;
  }

  /** Goes live now (or at `at`), with a title. */
  goLive(title: string, at = new Date(), prefix = ''): void {
    const s = this.state(prefix);
    s.live = true;
    s.title = title;
    s.lastConnectTime = at.toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  goOffline(prefix = ''): void {
    const s = this.state(prefix);
    s.live = false;
    s.lastConnectTime = null;
  }

  setTitle(title: string, prefix = ''): void {
    this.state(prefix).title = title;
  }

  async close(): Promise<void> {
    await this.running?.close();
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const match = /^(.*)\/api\/(status|config)$/.exec(path);
    if (!match) {
      res.writeHead(404).end();
      return;
    }
    const prefix = match[1] ?? '';
    const kind = match[2];
    if (kind === 'status') this.statusRequests++;
    else this.configRequests++;
    if (kind === 'config' && this.configFails) {
      res.writeHead(500).end();
      return;
    }
    switch (this.fault) {
      case 'error500':
        res.writeHead(500, { 'content-type': 'text/plain' }).end('boom');
        return;
      case 'hang':
        return; // never answers
      case 'garbage':
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"online": tru');
        return;
      case 'wrongShape':
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end('{"online":"yes","lastConnectTime":42}');
        return;
      case 'huge':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(`{"streamTitle":"${'x'.repeat(4 * 1024 * 1024)}"}`);
        return;
      case 'reset':
        req.socket.destroy();
        return;
      case null:
        break;
    }
    const s = this.state(prefix);
    const body =
      kind === 'status'
        ? {
            online: s.live,
            ...(s.viewers > 0 ? { viewerCount: s.viewers } : {}),
            serverTime: new Date().toISOString(),
            lastConnectTime: s.lastConnectTime,
            lastDisconnectTime: null,
            versionNumber: '0.2.3',
            streamTitle: s.title,
          }
        : {
            name: s.name,
            summary: '',
            logo: '/logo',
            tags: s.tags,
            version: '0.2.3',
            nsfw: false,
            socialHandles: [],
          };
    res
      .writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache' })
      .end(JSON.stringify(body));
  }
}
