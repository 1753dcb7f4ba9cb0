import type { IncomingMessage, ServerResponse } from 'node:http';
import { listen, readBody, type Running } from './listen.js';
import type { FakeTwitchAuth } from './twitch-auth.server.js';
import type { FakeEventSub } from './twitch-eventsub.server.js';

/** One broadcaster's schedule as Helix returns it (snake_case, RFC 3339 times). */
export interface FakeSchedule {
  segments: {
    id: string;
    start_time: string;
    end_time: string | null;
    title: string;
    canceled_until: string | null;
    category: { id: string; name: string } | null;
    is_recurring: boolean;
  }[];
  vacation: { start_time: string; end_time: string } | null;
}

export interface FakeTwitchUser {
  readonly id: string;
  readonly login: string;
  title: string;
  category: string;
  /** RFC 3339 start of the live stream, or null when offline. */
  liveSince: string | null;
  viewers: number;
}

/**
 * A fake Helix (PROTOCOLS.md §2.5, §2.7) at `<url>/helix`: Get Streams (only live streams, ≤100
 * logins, `Ratelimit-*` headers), Get Users, Get Channel Information, and EventSub subscription
 * creation for WebSocket sessions of a `FakeEventSub` (user token only, cost 1 each against
 * `max_total_cost` 10, 409 for a duplicate). `subscribeAnswer` scripts a refusal (401, 403, …).
 */
export class FakeHelix {
  readonly users = new Map<string, FakeTwitchUser>();
  userToken = 'user-token';
  maxTotalCost = 10;
  /** When set, every subscription request gets this status. */
  subscribeAnswer: number | null = null;
  /** `Ratelimit-Remaining` of the next answer, and the reset (unix s); a 429 when remaining < 0. */
  rateRemaining = 799;
  rateReset = 0;
  streamsRequests: string[][] = [];
  channelsRequests = 0;
  /** Misbehave on Helix reads: 500, never answer, invalid JSON, or a 4 MiB body. */
  fault: 'error' | 'hang' | 'garbage' | 'huge' | null = null;
  subscribeRequests = 0;
  /**
   * Stream schedules by broadcaster id (Get Channel Stream Schedule); a broadcaster without one
   * gets Helix's 404. Segments are served from `start_time` on, `first` per page, with a cursor.
   */
  readonly schedules = new Map<string, FakeSchedule>();
  scheduleRequests: string[] = [];
  private readonly auth: FakeTwitchAuth;
  private readonly eventsub: FakeEventSub;
  private running: Running | null = null;

  private constructor(auth: FakeTwitchAuth, eventsub: FakeEventSub) {
    this.auth = auth;
    this.eventsub = eventsub;
  }

  static async start(auth: FakeTwitchAuth, eventsub: FakeEventSub): Promise<FakeHelix> {
    const fake = new FakeHelix(auth, eventsub);
    fake.running = await listen((req, res) => {
      void readBody(req).then((body) => {
        fake.handle(req, res, body);
      });
    });
    return fake;
  }

  get url(): string {
    if (!this.running) throw new Error('not started');
    return `${this.running.url}/helix`;
  }

  addUser(
    login: string,
    id: string,
    title = `${login} title`,
    category = 'Just Chatting',
  ): FakeTwitchUser {
    const user: FakeTwitchUser = { id, login, title, category, liveSince: null, viewers: 0 };
    this.users.set(login, user);
    return user;
  }

  async close(): Promise<void> {
    await this.running?.close();
  }

  private handle(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const json = (status: number, data: unknown, headers: Record<string, string> = {}) => {
      res
        .writeHead(status, { 'content-type': 'application/json', ...headers })
        .end(JSON.stringify(data));
    };
    if (req.headers['client-id'] !== this.auth.clientId) {
      json(401, { error: 'Unauthorized', status: 401, message: 'invalid client id' });
      return;
    }
    if (req.method === 'POST' && url.pathname === '/helix/eventsub/subscriptions') {
      this.createSubscription(token, body, json);
      return;
    }
    if (token === undefined || !this.auth.valid.has(token)) {
      json(401, { error: 'Unauthorized', status: 401, message: 'invalid access token' });
      return;
    }
    const rate = {
      'ratelimit-limit': '800',
      'ratelimit-remaining': String(Math.max(0, this.rateRemaining)),
      'ratelimit-reset': String(this.rateReset),
    };
    if (this.rateRemaining < 0) {
      json(429, { error: 'Too Many Requests', status: 429 }, rate);
      return;
    }
    this.rateRemaining--;
    switch (this.fault) {
      case 'error':
        json(500, { error: 'Internal Server Error', status: 500 }, rate);
        return;
      case 'hang':
        return;
      case 'garbage':
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"data": [');
        return;
      case 'huge':
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(`{"data":[],"x":"${'x'.repeat(4 * 1024 * 1024)}"}`);
        return;
      case null:
        break;
    }
    if (req.method === 'GET' && url.pathname === '/helix/streams') {
      const logins = url.searchParams.getAll('user_login');
      if (logins.length > 100) {
        json(
          400,
          { error: 'Bad Request', status: 400, message: 'too many user_login values' },
          rate,
        );
        return;
      }
      this.streamsRequests.push(logins);
      const data = logins
        .map((l) => this.users.get(l))
        .filter((u): u is FakeTwitchUser => u?.liveSince != null)
        .map((u) => ({
          id: `stream-${u.id}`,
          user_id: u.id,
          user_login: u.login,
          user_name: u.login,
          game_id: '1',
          game_name: u.category,
          type: 'live',
          title: u.title,
          tags: ['English'],
          viewer_count: u.viewers,
          started_at: u.liveSince,
          language: 'en',
          thumbnail_url: `https://static.example/${u.login}-{width}x{height}.jpg`,
          tag_ids: [],
          is_mature: false,
        }));
      json(200, { data, pagination: {} }, rate);
      return;
    }
    if (req.method === 'GET' && url.pathname === '/helix/users') {
      const data = url.searchParams
        .getAll('login')
        .map((l) => this.users.get(l))
        .filter((u): u is FakeTwitchUser => u !== undefined)
        .map((u) => ({ id: u.id, login: u.login, display_name: u.login }));
      json(200, { data }, rate);
      return;
    }
    if (req.method === 'GET' && url.pathname === '/helix/channels') {
      this.channelsRequests++;
      const id = url.searchParams.get('broadcaster_id');
      const u = [...this.users.values()].find((x) => x.id === id);
      const data = u
        ? [
            {
              broadcaster_id: u.id,
              broadcaster_login: u.login,
              broadcaster_name: u.login,
              game_name: u.category,
              title: u.title,
              tags: ['English'],
            },
          ]
        : [];
      json(200, { data }, rate);
      return;
    }
    if (req.method === 'GET' && url.pathname === '/helix/schedule') {
      this.schedule(url, json, rate);
      return;
    }
    json(404, { error: 'Not Found', status: 404 });
  }

  private schedule(
    url: URL,
    json: (status: number, data: unknown, headers?: Record<string, string>) => void,
    rate: Record<string, string>,
  ): void {
    const id = url.searchParams.get('broadcaster_id') ?? '';
    this.scheduleRequests.push(url.search);
    const schedule = this.schedules.get(id);
    const user = [...this.users.values()].find((u) => u.id === id);
    if (!schedule || !user) {
      json(404, { error: 'Not Found', status: 404, message: 'segments were not found' }, rate);
      return;
    }
    const from = Date.parse(url.searchParams.get('start_time') ?? '') || 0;
    const first = Math.min(25, Number(url.searchParams.get('first') ?? '20'));
    const after = Number(url.searchParams.get('after') ?? '0');
    const upcoming = schedule.segments.filter(
      (s) => Date.parse(s.end_time ?? s.start_time) >= from,
    );
    const page = upcoming.slice(after, after + first);
    json(
      200,
      {
        data: {
          segments: page.length === 0 ? null : page,
          broadcaster_id: user.id,
          broadcaster_name: user.login,
          broadcaster_login: user.login,
          vacation: schedule.vacation,
        },
        pagination: after + first < upcoming.length ? { cursor: String(after + first) } : {},
      },
      rate,
    );
  }

  private createSubscription(
    token: string | undefined,
    body: Buffer,
    json: (status: number, data: unknown) => void,
  ): void {
    this.subscribeRequests++;
    if (this.subscribeAnswer !== null) {
      json(this.subscribeAnswer, {
        error: 'scripted',
        status: this.subscribeAnswer,
        message: 'scripted refusal',
      });
      return;
    }
    // WebSocket transport needs a user access token (§2.5).
    if (token !== this.userToken) {
      json(401, { error: 'Unauthorized', status: 401, message: 'invalid user token' });
      return;
    }
    const req = JSON.parse(body.toString('utf8')) as {
      type: string;
      version: string;
      condition: { broadcaster_user_id: string };
      transport: { method: string; session_id: string };
    };
    const total = this.eventsub.sessions
      .filter((s) => s.closedWith === null)
      .reduce((n, s) => n + s.subscriptions.length, 0);
    if (total + 1 > this.maxTotalCost) {
      json(429, { error: 'Too Many Requests', status: 429, message: 'cost exceeded' });
      return;
    }
    const created = this.eventsub.subscribe(req.transport.session_id, {
      type: req.type,
      version: req.version,
      broadcasterId: req.condition.broadcaster_user_id,
    });
    if (created === 'noSession') {
      json(400, {
        error: 'Bad Request',
        status: 400,
        message: 'session does not exist or has already disconnected',
      });
      return;
    }
    if (created === 'duplicate') {
      json(409, { error: 'Conflict', status: 409, message: 'subscription already exists' });
      return;
    }
    json(202, {
      data: [
        {
          id: created.id,
          status: 'enabled',
          type: created.type,
          version: created.version,
          cost: 1,
          condition: req.condition,
          transport: req.transport,
        },
      ],
      total: total + 1,
      total_cost: total + 1,
      max_total_cost: this.maxTotalCost,
    });
  }
}
