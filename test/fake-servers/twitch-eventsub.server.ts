import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export interface FakeSubscription {
  readonly id: string;
  readonly type: string;
  readonly version: string;
  readonly broadcasterId: string;
}

export interface FakeSession {
  id: string;
  readonly ws: WebSocket;
  subscriptions: FakeSubscription[];
  /** Set when the client closed it (code) or the server did. */
  closedWith: number | null;
  /** Whatever the client sent (it must send nothing; §2.1). */
  readonly inbound: string[];
}

/**
 * A scriptable EventSub WebSocket server (PROTOCOLS.md §2.1–2.4) on 127.0.0.1:0. It sends only
 * what a test asks for — welcome on connect, then notifications, duplicates, old messages,
 * keepalives, `session_reconnect`, revocations, close codes — so silence is simply not sending.
 * Timestamps come from `now` (the test's clock) with nanosecond fractions like Twitch's.
 */
export class FakeEventSub {
  readonly sessions: FakeSession[] = [];
  keepaliveSeconds = 10;
  now: () => number = () => Date.now();
  private seq = 0;
  private server: Server | null = null;
  private wss: WebSocketServer | null = null;
  private readonly waiters = new Set<() => void>();
  private readonly resumes = new Map<string, FakeSession>();

  static async start(): Promise<FakeEventSub> {
    const fake = new FakeEventSub();
    fake.server = createServer();
    fake.wss = new WebSocketServer({ server: fake.server, path: '/ws' });
    fake.wss.on('connection', (ws, req) => {
      fake.connected(ws, new URL(req.url ?? '/ws', 'http://x').searchParams.get('reconnect_id'));
    });
    await new Promise<void>((resolve) => fake.server!.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get url(): string {
    const { port } = this.server!.address() as AddressInfo;
    return `ws://127.0.0.1:${port}/ws`;
  }

  /** The newest session that is still open. */
  get current(): FakeSession {
    const open = this.sessions.filter((s) => s.closedWith === null);
    const s = open[open.length - 1];
    if (!s) throw new Error('no open EventSub session');
    return s;
  }

  session(id: string): FakeSession | undefined {
    return this.sessions.find((s) => s.id === id && s.closedWith === null);
  }

  /** Called by the fake Helix when a subscription is created; false when the session is unknown. */
  subscribe(
    sessionId: string,
    sub: Omit<FakeSubscription, 'id'>,
  ): FakeSubscription | 'noSession' | 'duplicate' {
    const s = this.session(sessionId);
    if (!s) return 'noSession';
    if (s.subscriptions.some((x) => x.type === sub.type && x.broadcasterId === sub.broadcasterId))
      return 'duplicate';
    const created = { ...sub, id: `sub-${++this.seq}` };
    s.subscriptions.push(created);
    this.wake();
    return created;
  }

  /** Waits (in real time) until `check` holds; fails the test after `ms`. */
  async until(check: () => boolean, ms = 3000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!check()) {
      if (Date.now() > deadline) throw new Error('FakeEventSub: condition not met in time');
      await new Promise<void>((resolve) => {
        this.waiters.add(resolve);
        setTimeout(resolve, 10);
      });
    }
  }

  /** Sends a notification for a subscription of this type and broadcaster; returns the message id. */
  notify(
    type: string,
    broadcasterId: string,
    event: Record<string, unknown>,
    options: { messageId?: string; ageMs?: number; session?: FakeSession } = {},
  ): string {
    const session = options.session ?? this.sessionFor(type, broadcasterId);
    const sub = session.subscriptions.find(
      (s) => s.type === type && s.broadcasterId === broadcasterId,
    );
    const id = options.messageId ?? `msg-${++this.seq}`;
    this.send(session, {
      metadata: {
        ...this.meta(id, 'notification', options.ageMs),
        subscription_type: type,
        subscription_version: sub?.version ?? '1',
      },
      payload: {
        subscription: this.subscriptionJson(
          session,
          sub ?? { id: 'sub-unknown', type, version: '1', broadcasterId },
          'enabled',
        ),
        event: { broadcaster_user_id: broadcasterId, ...event },
      },
    });
    return id;
  }

  online(
    broadcasterId: string,
    login: string,
    startedAt: string,
    options: { messageId?: string; ageMs?: number; session?: FakeSession } = {},
  ): string {
    return this.notify(
      'stream.online',
      broadcasterId,
      {
        id: `stream-${broadcasterId}`,
        broadcaster_user_login: login,
        broadcaster_user_name: login,
        type: 'live',
        started_at: startedAt,
      },
      options,
    );
  }

  offline(
    broadcasterId: string,
    login: string,
    options: { messageId?: string; session?: FakeSession } = {},
  ): string {
    return this.notify(
      'stream.offline',
      broadcasterId,
      { broadcaster_user_login: login, broadcaster_user_name: login },
      options,
    );
  }

  keepalive(session = this.current): void {
    this.send(session, {
      metadata: this.meta(`ka-${++this.seq}`, 'session_keepalive'),
      payload: {},
    });
  }

  /** `session_reconnect`: the client should connect to the returned URL; subscriptions move there. */
  reconnect(session = this.current): string {
    const rid = `r${++this.seq}`;
    this.resumes.set(rid, session);
    const url = `${this.url}?reconnect_id=${rid}`;
    this.send(session, {
      metadata: this.meta(`rc-${this.seq}`, 'session_reconnect'),
      payload: {
        session: {
          id: session.id,
          status: 'reconnecting',
          keepalive_timeout_seconds: null,
          reconnect_url: url,
          connected_at: this.stamp(0),
        },
      },
    });
    return url;
  }

  revoke(
    type: string,
    broadcasterId: string,
    status: 'authorization_revoked' | 'user_removed' | 'version_removed',
  ): void {
    const session = this.sessionFor(type, broadcasterId);
    const sub = session.subscriptions.find(
      (s) => s.type === type && s.broadcasterId === broadcasterId,
    )!;
    session.subscriptions = session.subscriptions.filter((s) => s !== sub);
    this.send(session, {
      metadata: {
        ...this.meta(`rv-${++this.seq}`, 'revocation'),
        subscription_type: type,
        subscription_version: sub.version,
      },
      payload: { subscription: this.subscriptionJson(session, sub, status) },
    });
  }

  /** Closes a session with a Twitch close code (§2.3). */
  close(code: number, session = this.current): void {
    session.closedWith = code;
    session.ws.close(code, `fake ${code}`);
  }

  /** Drops every connection without a close frame (a dead network). */
  dropAll(): void {
    for (const s of this.sessions) {
      if (s.closedWith === null) s.closedWith = 1006;
      s.ws.terminate();
    }
  }

  /** Sends raw JSON to a session, e.g. a message replayed with its original id. */
  send(session: FakeSession, message: object): void {
    session.ws.send(JSON.stringify(message));
  }

  async shutdown(): Promise<void> {
    this.dropAll();
    await new Promise<void>((resolve) => {
      this.wss!.close(() => {
        resolve();
      });
    });
    await new Promise<void>((resolve) => {
      this.server!.close(() => {
        resolve();
      });
    });
  }

  private connected(ws: WebSocket, reconnectId: string | null): void {
    const previous = reconnectId === null ? undefined : this.resumes.get(reconnectId);
    // Like the twitch-cli mock, a reconnect gets a new session id; subscriptions move with it.
    const session: FakeSession = {
      id: `sess-${++this.seq}`,
      ws,
      subscriptions: previous ? previous.subscriptions : [],
      closedWith: null,
      inbound: [],
    };
    if (previous) previous.subscriptions = [];
    this.sessions.push(session);
    ws.on('message', (data: Buffer) => session.inbound.push(data.toString('utf8')));
    ws.on('close', (code: number) => {
      session.closedWith ??= code;
      this.wake();
    });
    this.send(session, {
      metadata: this.meta(`wl-${this.seq}`, 'session_welcome'),
      payload: {
        session: {
          id: session.id,
          status: 'connected',
          keepalive_timeout_seconds: this.keepaliveSeconds,
          reconnect_url: null,
          connected_at: this.stamp(0),
        },
      },
    });
    this.wake();
  }

  private sessionFor(type: string, broadcasterId: string): FakeSession {
    const s = this.sessions.find(
      (x) =>
        x.closedWith === null &&
        x.subscriptions.some((sub) => sub.type === type && sub.broadcasterId === broadcasterId),
    );
    if (!s) throw new Error(`no open session subscribed to ${type} for ${broadcasterId}`);
    return s;
  }

  private meta(id: string, type: string, ageMs = 0) {
    return { message_id: id, message_type: type, message_timestamp: this.stamp(ageMs) };
  }

  private stamp(ageMs: number): string {
    return new Date(this.now() - ageMs).toISOString().replace(/Z$/, '123456Z');
  }

  private subscriptionJson(session: FakeSession, sub: FakeSubscription, status: string) {
    return {
      id: sub.id,
      status,
      type: sub.type,
      version: sub.version,
      cost: 1,
      condition: { broadcaster_user_id: sub.broadcasterId },
      transport: { method: 'websocket', session_id: session.id },
      created_at: this.stamp(0),
    };
  }

  private wake(): void {
    for (const w of this.waiters) w();
    this.waiters.clear();
  }
}
