import type { IncomingHttpHeaders } from 'node:http';
import { FakeProvider, type Answer, type SeenRequest } from '../contracts/notifier-fakes.js';
import { listen, readBody, type Running } from './listen.js';

interface RoomEvent {
  readonly eventId: string;
  readonly type: 'm.room.message' | 'm.room.redaction';
  readonly content: Record<string, unknown>;
  readonly redacts?: string;
}

/**
 * A fake Matrix homeserver (PROTOCOLS.md §3): header-only bearer auth, one joined room,
 * `send/m.room.message/{txnId}` with txn idempotency per token and path (a retransmission gets
 * the original event id), `redact/{eventId}/{txnId}`, `m.replace` edits.
 */
export class FakeMatrix extends FakeProvider {
  readonly accessToken = 'syt_secret_token';
  readonly roomId = '!room:fake.local';
  readonly events: RoomEvent[] = [];
  private readonly txns = new Map<string, string>();
  private next = 1;

  static async start(): Promise<FakeMatrix> {
    const fake = new FakeMatrix();
    await fake.listen();
    return fake;
  }

  /** A 429 with `retry_after_ms` in the body and, if given, the newer `Retry-After` header. */
  static rateLimited(retryAfterMs: number, headerSeconds?: number): Answer {
    return {
      status: 429,
      ...(headerSeconds === undefined ? {} : { headers: { 'retry-after': String(headerSeconds) } }),
      body: {
        errcode: 'M_LIMIT_EXCEEDED',
        error: 'Too many requests',
        retry_after_ms: retryAfterMs,
      },
    };
  }

  /** What a client shows: originals not redacted, each with its newest edit applied. */
  timeline(): string[] {
    const redacted = new Set(
      this.events.filter((e) => e.redacts !== undefined).map((e) => e.redacts),
    );
    const shown: string[] = [];
    for (const e of this.events) {
      if (
        e.type !== 'm.room.message' ||
        redacted.has(e.eventId) ||
        e.content['m.relates_to'] !== undefined
      )
        continue;
      const edits = this.events.filter(
        (x) =>
          (x.content['m.relates_to'] as { event_id?: string } | undefined)?.event_id === e.eventId,
      );
      const latest = edits.at(-1);
      const content = latest
        ? (latest.content['m.new_content'] as Record<string, unknown>)
        : e.content;
      shown.push(String(content['body']));
    }
    return shown;
  }

  protected handle(req: SeenRequest): Answer {
    if (req.query.has('access_token'))
      return {
        status: 401,
        body: { errcode: 'M_MISSING_TOKEN', error: 'query tokens are not supported' },
      };
    if (req.headers.authorization !== `Bearer ${this.accessToken}`)
      return { status: 401, body: { errcode: 'M_UNKNOWN_TOKEN', error: 'Unknown token' } };
    const match =
      /^\/_matrix\/client\/v3\/rooms\/([^/]+)\/(send\/m\.room\.message|redact\/[^/]+)\/([^/]+)$/.exec(
        req.path,
      );
    if (req.method !== 'PUT' || !match)
      return { status: 404, body: { errcode: 'M_UNRECOGNIZED', error: 'Unrecognized request' } };
    const [, room, what = '', txn] = match;
    if (room !== this.roomId)
      return { status: 403, body: { errcode: 'M_FORBIDDEN', error: 'not in room' } };
    const key = `${req.path}\u0000${txn}`;
    const earlier = this.txns.get(key);
    if (earlier !== undefined) return { status: 200, body: { event_id: earlier } };
    const eventId = `$ev${this.next++}`;
    const content = req.body as Record<string, unknown>;
    if (what.startsWith('redact/')) {
      const target = what.slice('redact/'.length);
      if (!this.events.some((e) => e.eventId === target))
        return { status: 404, body: { errcode: 'M_NOT_FOUND', error: 'no such event' } };
      this.events.push({ eventId, type: 'm.room.redaction', content, redacts: target });
    } else {
      if (content['format'] !== undefined && typeof content['formatted_body'] !== 'string')
        return { status: 400, body: { errcode: 'M_BAD_JSON', error: 'formatted_body' } };
      this.events.push({ eventId, type: 'm.room.message', content });
    }
    this.txns.set(key, eventId);
    return { status: 200, body: { event_id: eventId } };
  }
}

interface TimelineEvent {
  readonly pos: number;
  readonly roomId: string;
  readonly event: {
    readonly type: string;
    readonly sender: string;
    readonly event_id: string;
    readonly content: Record<string, unknown>;
    readonly state_key?: string;
  };
}

interface HomeserverRoom {
  readonly id: string;
  encrypted: boolean;
  power: { users: Record<string, number>; users_default: number };
  invitedAt: number | null;
  joined: boolean;
}

/**
 * A fake homeserver for the bot side of the client-server API (spec v1.x): password `/login`,
 * `/account/whoami`, `/sync` long polling with `since`/`next_batch` positions (`rooms.invite`
 * with `invite_state`, `rooms.join` with `timeline`), `/join/{room}`, `/rooms/{room}/leave`,
 * `/rooms/{room}/state/{type}/` (power levels, encryption: 404 `M_NOT_FOUND` when unset), and
 * `send/m.room.message/{txn}` with transaction idempotency. Tokens die on `expireToken`.
 */
export class FakeHomeserver {
  readonly botUser = '@onair:fake.local';
  readonly password = 'bot-password';
  readonly requests: { method: string; path: string; query: URLSearchParams; auth: string }[] = [];
  private readonly rooms = new Map<string, HomeserverRoom>();
  private readonly log: TimelineEvent[] = [];
  private readonly tokens = new Set<string>(['syt_static_token']);
  private readonly txns = new Map<string, string>();
  private readonly aliases = new Map<string, string>();
  private readonly waiting = new Set<() => void>();
  private pos = 0;
  private logins = 0;
  private running: Running | null = null;

  static async start(): Promise<FakeHomeserver> {
    const fake = new FakeHomeserver();
    fake.running = await listen((req, res) => {
      void readBody(req).then(async (buf) => {
        const answer = await fake.handle(req.method ?? 'GET', req.url ?? '/', req.headers, buf);
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer.body));
      });
    });
    return fake;
  }

  get url(): string {
    if (!this.running) throw new Error('not started');
    return this.running.url;
  }

  /** How often someone logged in with the password. */
  get loginCount(): number {
    return this.logins;
  }

  /** Every token issued so far stops working (a logout elsewhere, a server reset). */
  expireTokens(): void {
    this.tokens.clear();
  }

  /** Invites the bot to a new room where `admin` has power 100 and others `usersDefault`. */
  invite(
    roomId: string,
    opts: { admin: string; encrypted?: boolean; usersDefault?: number },
  ): void {
    this.rooms.set(roomId, {
      id: roomId,
      encrypted: opts.encrypted ?? false,
      power: { users: { [opts.admin]: 100 }, users_default: opts.usersDefault ?? 0 },
      invitedAt: ++this.pos,
      joined: false,
    });
    this.notify();
  }

  /** A room the bot is in already, optionally with an alias (`#name:fake.local`). */
  addJoinedRoom(roomId: string, alias?: string): void {
    this.rooms.set(roomId, {
      id: roomId,
      encrypted: false,
      power: { users: {}, users_default: 0 },
      invitedAt: null,
      joined: true,
    });
    if (alias !== undefined) this.aliases.set(alias, roomId);
  }

  setPower(roomId: string, user: string, level: number): void {
    const room = this.rooms.get(roomId);
    if (room) room.power.users[user] = level;
  }

  isJoined(roomId: string): boolean {
    return this.rooms.get(roomId)?.joined === true;
  }

  /** A member writes a text message into the room. */
  /** The stream position of the newest event: a sync `since` at or past it has seen everything. */
  get position(): number {
    return this.pos;
  }

  say(roomId: string, sender: string, body: string): string {
    return this.append(roomId, sender, 'm.room.message', { msgtype: 'm.text', body });
  }

  /** What the bot (or the notifier) posted into the room, in order. */
  botMessages(roomId: string): { msgtype: string; body: string }[] {
    return this.log
      .filter((e) => e.roomId === roomId && e.event.sender === this.botUser)
      .filter((e) => e.event.type === 'm.room.message')
      .map((e) => ({
        msgtype: String(e.event.content['msgtype']),
        body: String(e.event.content['body']),
      }));
  }

  async close(): Promise<void> {
    for (const wake of this.waiting) wake();
    await this.running?.close();
  }

  private append(
    roomId: string,
    sender: string,
    type: string,
    content: Record<string, unknown>,
  ): string {
    const pos = ++this.pos;
    const event_id = `$e${pos}`;
    this.log.push({ pos, roomId, event: { type, sender, event_id, content } });
    this.notify();
    return event_id;
  }

  private notify(): void {
    for (const wake of [...this.waiting]) wake();
  }

  private async handle(
    method: string,
    rawUrl: string,
    headers: IncomingHttpHeaders,
    buf: Buffer,
  ): Promise<{ status: number; body: unknown }> {
    const url = new URL(rawUrl, 'http://fake');
    const path = decodeURIComponent(url.pathname);
    const auth = headers.authorization ?? '';
    this.requests.push({ method, path, query: url.searchParams, auth });
    let body: Record<string, unknown> = {};
    try {
      body = buf.length === 0 ? {} : (JSON.parse(buf.toString('utf8')) as Record<string, unknown>);
    } catch {
      return { status: 400, body: { errcode: 'M_NOT_JSON', error: 'body is not JSON' } };
    }
    const p = '/_matrix/client/v3';
    if (method === 'POST' && path === `${p}/login`) {
      const id = body['identifier'] as { user?: string } | undefined;
      if (
        body['type'] !== 'm.login.password' ||
        id?.user === undefined ||
        `@${id.user}:fake.local` !== this.botUser ||
        body['password'] !== this.password
      )
        return {
          status: 403,
          body: { errcode: 'M_FORBIDDEN', error: 'Invalid username or password' },
        };
      const token = `syt_login_${++this.logins}`;
      this.tokens.add(token);
      return {
        status: 200,
        body: { access_token: token, user_id: this.botUser, device_id: 'DEV' },
      };
    }
    if (!auth.startsWith('Bearer ') || !this.tokens.has(auth.slice('Bearer '.length)))
      return { status: 401, body: { errcode: 'M_UNKNOWN_TOKEN', error: 'Unknown token' } };
    if (method === 'GET' && path === `${p}/account/whoami`)
      return { status: 200, body: { user_id: this.botUser } };
    if (method === 'GET' && path === `${p}/sync`) return this.sync(url.searchParams);
    const alias = /^\/_matrix\/client\/v3\/directory\/room\/([^/]+)$/.exec(path);
    if (method === 'GET' && alias) {
      const roomId = this.aliases.get(alias[1] ?? '');
      return roomId === undefined
        ? { status: 404, body: { errcode: 'M_NOT_FOUND', error: 'Room alias not found' } }
        : { status: 200, body: { room_id: roomId, servers: ['fake.local'] } };
    }
    let m = /^\/_matrix\/client\/v3\/join\/([^/]+)$/.exec(path);
    if (method === 'POST' && m) {
      const room = this.rooms.get(m[1] ?? '');
      if (!room || room.invitedAt === null)
        return { status: 403, body: { errcode: 'M_FORBIDDEN', error: 'not invited' } };
      room.joined = true;
      room.invitedAt = null;
      this.append(room.id, this.botUser, 'm.room.member', { membership: 'join' });
      return { status: 200, body: { room_id: room.id } };
    }
    m = /^\/_matrix\/client\/v3\/rooms\/([^/]+)\/(.+)$/.exec(path);
    const room = m ? this.rooms.get(m[1] ?? '') : undefined;
    if (!m || !room) return { status: 404, body: { errcode: 'M_UNRECOGNIZED', error: path } };
    const rest = m[2] ?? '';
    if (!room.joined)
      return { status: 403, body: { errcode: 'M_FORBIDDEN', error: 'not in room' } };
    if (method === 'POST' && rest === 'leave') {
      room.joined = false;
      return { status: 200, body: {} };
    }
    if (method === 'GET' && /^state\/m\.room\.power_levels\/?$/.test(rest))
      return { status: 200, body: room.power };
    if (method === 'GET' && /^state\/m\.room\.encryption\/?$/.test(rest))
      return room.encrypted
        ? { status: 200, body: { algorithm: 'm.megolm.v1.aes-sha2' } }
        : { status: 404, body: { errcode: 'M_NOT_FOUND', error: 'Event not found.' } };
    const send = /^send\/m\.room\.message\/([^/]+)$/.exec(rest);
    if (method === 'PUT' && send) {
      const key = `${auth}\u0000${path}`;
      const earlier = this.txns.get(key);
      if (earlier !== undefined) return { status: 200, body: { event_id: earlier } };
      const eventId = this.append(room.id, this.botUser, 'm.room.message', body);
      this.txns.set(key, eventId);
      return { status: 200, body: { event_id: eventId } };
    }
    return { status: 404, body: { errcode: 'M_UNRECOGNIZED', error: path } };
  }

  /** Holds the request until something newer than `since` exists or `timeout` passes. */
  private async sync(query: URLSearchParams): Promise<{ status: number; body: unknown }> {
    const since = query.has('since') ? Number(query.get('since')) : 0;
    const timeout = Math.min(Number(query.get('timeout') ?? '0'), 60_000);
    // An initial sync (no `since`) answers at once, as homeservers do.
    if (query.has('since') && this.pos <= since && timeout > 0) {
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.waiting.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, timeout);
        this.waiting.add(wake);
      });
    }
    const join: Record<string, { timeline: { events: unknown[] }; state: { events: unknown[] } }> =
      {};
    const invite: Record<string, { invite_state: { events: unknown[] } }> = {};
    for (const room of this.rooms.values()) {
      if (room.invitedAt !== null && room.invitedAt > since)
        invite[room.id] = {
          invite_state: {
            events: [
              { type: 'm.room.member', state_key: this.botUser, content: { membership: 'invite' } },
            ],
          },
        };
      if (!room.joined) continue;
      const events = this.log
        .filter((e) => e.roomId === room.id && e.pos > since)
        .map((e) => e.event);
      if (events.length > 0) join[room.id] = { timeline: { events }, state: { events: [] } };
    }
    return { status: 200, body: { next_batch: String(this.pos), rooms: { join, invite } } };
  }
}
