import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, removeDir, startTestOnair, type TestOnair } from '../../test/e2e/harness.js';
import { listRoutes } from './auth.js';

const READER = 'reader-token-123';
const KEEPER = 'keeper-token-123';
const MANAGER = 'manager-token-123';
const LAN = 'lan-only-token-123';

type Who = 'anonymous' | 'reader' | 'keeper' | 'manager' | 'admin';
type Needs = 'public' | 'any' | 'read' | 'keepalive' | 'record' | 'manage' | 'admin';

const TOKENS: Record<Exclude<Who, 'anonymous'>, string> = {
  reader: READER,
  keeper: KEEPER,
  manager: MANAGER,
  admin: ADMIN_TOKEN,
};

/** Who passes each requirement; written out, not derived from the implementation. */
const PASSES: Record<Needs, readonly Who[]> = {
  public: ['anonymous', 'reader', 'keeper', 'manager', 'admin'],
  any: ['reader', 'keeper', 'manager', 'admin'],
  read: ['reader', 'manager', 'admin'],
  keepalive: ['keeper', 'admin'],
  record: ['admin'],
  manage: ['manager', 'admin'],
  admin: ['admin'],
};

/**
 * What every route needs. A route missing here must be public or admin-only (the default for
 * routes that declare nothing); one that declares something else fails until it is added here.
 */
const MATRIX: Readonly<Record<string, Needs>> = {
  'GET /healthz': 'public',
  'GET /metrics': 'read',
  'GET /api/v1/openapi.json': 'any',
  'GET /api/v1/channels': 'read',
  'POST /api/v1/channels': 'manage',
  'GET /api/v1/channels/:id': 'read',
  'PATCH /api/v1/channels/:id': 'manage',
  'PUT /api/v1/channels/:id': 'manage',
  'DELETE /api/v1/channels/:id': 'manage',
  'POST /api/v1/channels/:id/check': 'manage',
  'GET /api/v1/channels/:id/playback': 'read',
  'GET /api/v1/targets': 'manage',
  'POST /api/v1/targets': 'manage',
  'GET /api/v1/targets/:id': 'manage',
  'PATCH /api/v1/targets/:id': 'manage',
  'PUT /api/v1/targets/:id': 'manage',
  'DELETE /api/v1/targets/:id': 'manage',
  'GET /api/v1/targets/:id/deliveries': 'manage',
  'POST /api/v1/targets/:id/test': 'manage',
  'GET /api/v1/events': 'read',
  'GET /api/v1/events/stream': 'read',
  'GET /api/v1/streams/active': 'read',
  'GET /api/v1/schedule': 'read',
  'POST /api/v1/schedule': 'manage',
  'DELETE /api/v1/schedule/:id': 'manage',
  'GET /api/v1/schedule/feeds': 'read',
  'POST /api/v1/schedule/feeds/refresh': 'manage',
  'GET /api/v1/calendar.ics': 'read',
  'GET /api/v1/schedule/:id': 'read',
  'PATCH /api/v1/schedule/:id': 'manage',
  'GET /api/v1/schedule/platforms': 'read',
  'GET /api/v1/calendar/key': 'read',
  'POST /api/v1/calendar/key': 'read',
  'DELETE /api/v1/calendar/key': 'read',
  'POST /api/v1/check': 'manage',
  'GET /api/v1/users': 'admin',
  'POST /api/v1/users': 'admin',
  'GET /api/v1/users/:name': 'admin',
  'PATCH /api/v1/users/:name': 'admin',
  'DELETE /api/v1/users/:name': 'admin',
  'POST /api/v1/tokens': 'any',
  'GET /api/v1/tokens': 'any',
  'DELETE /api/v1/tokens/:id': 'any',
  'POST /api/v1/session': 'public',
  'GET /api/v1/session': 'any',
  'DELETE /api/v1/session': 'public',
  'POST /api/v1/keepalives': 'keepalive',
  'GET /api/v1/keepalives': 'any',
  'GET /api/v1/keepalives/:id': 'any',
  'DELETE /api/v1/keepalives/:id': 'any',
  'POST /v3/paths/keepalive/add/:channelId': 'keepalive',
  'DELETE /v3/paths/keepalive/remove/:id': 'any',
  'GET /v3/paths/keepalive/list': 'any',
  'GET /v3/paths/keepalive/get/:id': 'any',
  'GET /api/v1/recordings': 'read',
  'GET /api/v1/recordings/:id': 'read',
  'GET /api/v1/recordings/:id/file': 'read',
  'DELETE /api/v1/recordings/:id': 'record',
  'POST /api/v1/channels/:id/recording': 'record',
  'DELETE /api/v1/channels/:id/recording': 'record',
};

const config = {
  auth: {
    adminToken: ADMIN_TOKEN,
    users: [
      { name: 'reader', token: READER, permissions: [{ action: 'read' }] },
      {
        name: 'keeper',
        token: KEEPER,
        permissions: [{ action: 'keepalive', channels: ['cam-*'] }],
      },
      { name: 'manager', token: MANAGER, permissions: [{ action: 'manage' }] },
      { name: 'lan', token: LAN, permissions: [{ action: 'read' }], allowedIps: ['10.0.0.0/8'] },
    ],
    failedAuth: { maxFailures: 3, window: '1m' },
  },
  channels: [{ id: 'cam-1', platform: 'hls', url: 'http://127.0.0.1:1/cam-1/index.m3u8' }],
};

/** Paths with parameters filled by things that do not exist, so allowed calls change nothing. */
function concrete(url: string): string {
  return url
    .replace(/:id|:channelId|:name/g, (param) => (param === ':name' ? 'nobody' : 'cam-zz'))
    .replace(/\*$/, 'index.html');
}

const BODIES: Readonly<Record<string, unknown>> = {
  'POST /api/v1/keepalives': { channel: 'cam-zz' },
};

interface Response {
  status: number;
  code: string | undefined;
  message: string | undefined;
}

describe('permission matrix', () => {
  let t: TestOnair;
  let base: string;

  beforeAll(async () => {
    t = await startTestOnair(config);
    base = await t.onair.http.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await t.stop();
    removeDir(t.dir);
  });

  /** Over a real socket, reading only the head of streaming responses. */
  async function send(who: Who, method: string, url: string): Promise<Response> {
    const key = `${method} ${url}`;
    const body = BODIES[key] ?? (['POST', 'PUT', 'PATCH'].includes(method) ? {} : undefined);
    const controller = new AbortController();
    const headers: Record<string, string> =
      who === 'anonymous' ? {} : { authorization: `Bearer ${TOKENS[who]}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${base}${concrete(url)}`, {
      method,
      headers,
      signal: controller.signal,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    let parsed: { error?: { code?: string; message?: string } } = {};
    if ((res.headers.get('content-type') ?? '').startsWith('application/json'))
      parsed = (await res.json()) as typeof parsed;
    controller.abort();
    return { status: res.status, code: parsed.error?.code, message: parsed.error?.message };
  }

  /** Refused by the access hook, as opposed to a handler's own 401/403 (a webhook signature). */
  const refused = (res: Response) =>
    (res.status === 401 && res.message === 'a valid bearer token or session is required') ||
    (res.status === 403 && res.message === 'not allowed');

  it('every route: who may call it and who may not', async () => {
    const routes = listRoutes(t.onair.http).filter(
      (r) => r.method !== 'HEAD' && r.method !== 'OPTIONS',
    );
    expect(routes.length).toBeGreaterThan(30);
    const failures: string[] = [];
    for (const route of routes) {
      const key = `${route.method} ${route.url}`;
      let needs = MATRIX[key];
      if (needs === undefined) {
        if (route.permission === 'public') needs = 'public';
        else if (
          typeof route.permission === 'object' &&
          route.permission.action === 'admin' &&
          route.permission.channelParam === undefined
        )
          needs = 'admin';
        else {
          failures.push(`${key} declares ${JSON.stringify(route.permission)}: add it to MATRIX`);
          continue;
        }
      }
      for (const who of ['anonymous', 'reader', 'keeper', 'manager', 'admin'] as const) {
        const res = await send(who, route.method, route.url);
        const allowed = PASSES[needs].includes(who);
        if (allowed && refused(res)) failures.push(`${key} as ${who}: refused (${res.status})`);
        if (!allowed && !(res.status === (who === 'anonymous' ? 401 : 403)))
          failures.push(
            `${key} as ${who}: ${res.status}, expected ${who === 'anonymous' ? 401 : 403}`,
          );
      }
    }
    expect(failures).toStrictEqual([]);
  });

  it('a channel-scoped permission applies to matching channels only', async () => {
    const res = await t.onair.http.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      payload: { name: 'camreader', permissions: [{ action: 'read', channels: ['cam-*'] }] },
    });
    expect(res.statusCode).toBe(201);
    const token = await createToken(t, ADMIN_TOKEN, { user: 'camreader' });
    const get = (url: string) =>
      t.onair.http.inject({
        method: 'GET',
        url,
        headers: { authorization: `Bearer ${token.token}` },
      });
    expect((await get('/api/v1/channels/cam-1')).statusCode).toBe(200);
    expect((await get('/api/v1/channels/studio')).statusCode).toBe(403);
    // Listings cannot be narrowed per channel, so they need read on every channel.
    expect((await get('/api/v1/channels')).statusCode).toBe(403);
  });

  it('honours a user’s allowed IPs', async () => {
    const from = (remoteAddress: string) =>
      t.onair.http.inject({
        method: 'GET',
        url: '/api/v1/channels',
        remoteAddress,
        headers: { authorization: `Bearer ${LAN}` },
      });
    expect((await from('10.20.30.40')).statusCode).toBe(200);
    expect((await from('192.168.0.2')).statusCode).toBe(401);
  });

  it('rate limits failed authentication per address with 429 and Retry-After, never a valid token', async () => {
    const attempt = (remoteAddress: string, token: string) =>
      t.onair.http.inject({
        method: 'GET',
        url: '/api/v1/channels',
        remoteAddress,
        headers: { authorization: `Bearer ${token}` },
      });
    for (let i = 0; i < 3; i++)
      expect((await attempt('198.51.100.7', `wrong-${i}`)).statusCode).toBe(401);
    const blocked = await attempt('198.51.100.7', 'wrong-3');
    expect(blocked.statusCode).toBe(429);
    expect(blocked.headers['retry-after']).toBe('60');
    // A valid token from the same address (another client behind it) is still served (issue 19).
    expect((await attempt('198.51.100.7', ADMIN_TOKEN)).statusCode).toBe(200);
    // Logging in: a wrong token is refused the same way, the right one is not.
    const login = (token: string) =>
      t.onair.http.inject({
        method: 'POST',
        url: '/api/v1/session',
        remoteAddress: '198.51.100.7',
        payload: { token },
      });
    expect((await login('wrong-4')).statusCode).toBe(429);
    expect((await login(ADMIN_TOKEN)).statusCode).toBe(200);
    // Other addresses are unaffected; the block lifts when the window ends.
    expect((await attempt('198.51.100.8', 'wrong')).statusCode).toBe(401);
    await t.time.advance(30_000);
    expect((await attempt('198.51.100.7', 'wrong-5')).headers['retry-after']).toBe('30');
    await t.time.advance(30_000);
    expect((await attempt('198.51.100.7', 'wrong-6')).statusCode).toBe(401);
    // Failed logins count too.
    for (let i = 0; i < 3; i++) {
      const res = await t.onair.http.inject({
        method: 'POST',
        url: '/api/v1/session',
        remoteAddress: '198.51.100.9',
        payload: { token: `wrong-${i}` },
      });
      expect(res.statusCode).toBe(401);
    }
    expect((await attempt('198.51.100.9', 'wrong')).statusCode).toBe(429);
  });
});

describe('users, tokens and sessions', () => {
  let t: TestOnair;
  beforeAll(async () => {
    // Short lifetimes: advancing the manual clock fires every poll timer on the way.
    t = await startTestOnair({ ...config, auth: { ...config.auth, sessionTtl: '10m' } });
  });
  afterAll(async () => {
    await t.stop();
    removeDir(t.dir);
  });

  const as = (
    token: string,
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    payload?: object,
  ) =>
    t.onair.http.inject({
      method,
      url,
      headers: { authorization: `Bearer ${token}` },
      ...(payload === undefined ? {} : { payload }),
    });

  it('lists config and API users without secrets; config users cannot be changed through the API', async () => {
    expect(
      (
        await as(ADMIN_TOKEN, 'POST', '/api/v1/users', {
          name: 'bob',
          permissions: [{ action: 'read' }],
          allowedIps: ['10.0.0.0/8'],
        })
      ).statusCode,
    ).toBe(201);
    expect(
      (await as(ADMIN_TOKEN, 'POST', '/api/v1/users', { name: 'bob', permissions: [] })).statusCode,
    ).toBe(409);
    expect(
      (await as(ADMIN_TOKEN, 'POST', '/api/v1/users', { name: 'reader', permissions: [] }))
        .statusCode,
    ).toBe(409);
    expect(
      (await as(ADMIN_TOKEN, 'POST', '/api/v1/users', { name: 'admin', permissions: [] }))
        .statusCode,
    ).toBe(400);
    expect(
      (
        await as(ADMIN_TOKEN, 'POST', '/api/v1/users', {
          name: 'eve',
          permissions: [{ action: 'root' }],
        })
      ).statusCode,
    ).toBe(400);
    expect(
      (
        await as(ADMIN_TOKEN, 'POST', '/api/v1/users', {
          name: 'eve',
          permissions: [],
          allowedIps: ['nowhere'],
        })
      ).statusCode,
    ).toBe(400);
    const list = await as(ADMIN_TOKEN, 'GET', '/api/v1/users');
    expect(list.statusCode).toBe(200);
    expect(list.body).not.toContain(READER);
    expect(
      list.json<{ name: string; source: string }[]>().map((u) => [u.name, u.source]),
    ).toStrictEqual([
      ['admin', 'config'],
      ['bob', 'api'],
      ['keeper', 'config'],
      ['lan', 'config'],
      ['manager', 'config'],
      ['reader', 'config'],
    ]);
    const patched = await as(ADMIN_TOKEN, 'PATCH', '/api/v1/users/bob', {
      permissions: [{ action: 'keepalive', channels: ['cam-1'] }],
    });
    expect(patched.json()).toMatchObject({
      name: 'bob',
      permissions: [{ action: 'keepalive', channels: ['cam-1'] }],
      allowedIps: ['10.0.0.0/8'],
    });
    expect(
      (await as(ADMIN_TOKEN, 'PATCH', '/api/v1/users/reader', { permissions: [] })).statusCode,
    ).toBe(409);
    expect((await as(ADMIN_TOKEN, 'DELETE', '/api/v1/users/reader')).statusCode).toBe(409);
    expect((await as(ADMIN_TOKEN, 'DELETE', '/api/v1/users/bob')).statusCode).toBe(204);
    expect((await as(ADMIN_TOKEN, 'GET', '/api/v1/users/bob')).statusCode).toBe(404);
  });

  it('shows a token once, keeps only its hash, and revoking it ends its bearer use and its sessions', async () => {
    expect(
      (
        await as(ADMIN_TOKEN, 'POST', '/api/v1/users', {
          name: 'carol',
          permissions: [{ action: 'read' }],
        })
      ).statusCode,
    ).toBe(201);
    const created = await createToken(t, ADMIN_TOKEN, { user: 'carol', name: 'laptop' });
    expect(created).toMatchObject({
      user: 'carol',
      name: 'laptop',
      expiresAt: null,
      token: expect.stringMatching(/^onair_t_[0-9a-f]{16}_/) as string,
    });
    expect((await as(created.token, 'GET', '/api/v1/channels')).statusCode).toBe(200);
    const listed = await as(created.token, 'GET', '/api/v1/tokens');
    expect(listed.json()).toStrictEqual([
      {
        id: created.id,
        user: 'carol',
        name: 'laptop',
        createdAt: created.createdAt,
        expiresAt: null,
      },
    ]);
    expect(listed.body).not.toContain(created.token.slice(-20));

    // Only admins create tokens for others, and only the owner or an admin revokes them.
    expect((await as(READER, 'POST', '/api/v1/tokens', { user: 'carol' })).statusCode).toBe(403);
    expect((await as(READER, 'DELETE', `/api/v1/tokens/${created.id}`)).statusCode).toBe(403);
    expect((await as(READER, 'GET', '/api/v1/tokens')).json()).toStrictEqual([]);

    const login = await t.onair.http.inject({
      method: 'POST',
      url: '/api/v1/session',
      payload: { token: created.token },
    });
    const cookie = sessionCookie(login.headers['set-cookie']);
    expect(
      (await t.onair.http.inject({ method: 'GET', url: '/api/v1/channels', headers: { cookie } }))
        .statusCode,
    ).toBe(200);

    expect((await as(created.token, 'DELETE', `/api/v1/tokens/${created.id}`)).statusCode).toBe(
      204,
    );
    expect((await as(created.token, 'GET', '/api/v1/channels')).statusCode).toBe(401);
    expect(
      (await t.onair.http.inject({ method: 'GET', url: '/api/v1/channels', headers: { cookie } }))
        .statusCode,
    ).toBe(401);
    expect((await as(ADMIN_TOKEN, 'DELETE', `/api/v1/tokens/${created.id}`)).statusCode).toBe(404);
  });

  it('expires tokens created with a TTL', async () => {
    const created = await createToken(t, KEEPER, { ttl: '5m' });
    expect((await as(created.token, 'GET', '/api/v1/keepalives')).statusCode).toBe(200);
    await t.time.advance(299_000);
    expect((await as(created.token, 'GET', '/api/v1/keepalives')).statusCode).toBe(200);
    await t.time.advance(1_000);
    expect((await as(created.token, 'GET', '/api/v1/keepalives')).statusCode).toBe(401);
  });

  it('trades a token for an httpOnly SameSite session cookie; logging out revokes it', async () => {
    const bad = await t.onair.http.inject({
      method: 'POST',
      url: '/api/v1/session',
      payload: { token: 'not-a-token' },
    });
    expect(bad.statusCode).toBe(401);
    expect(bad.headers['set-cookie']).toBeUndefined();
    const login = await t.onair.http.inject({
      method: 'POST',
      url: '/api/v1/session',
      payload: { token: READER },
    });
    expect(login.statusCode).toBe(200);
    expect(login.json()).toMatchObject({
      user: 'reader',
      admin: false,
      permissions: [{ action: 'read' }],
    });
    expect(login.body).not.toContain(READER);
    const header = String(login.headers['set-cookie']);
    expect(header).toMatch(
      /^onair_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=600$/,
    );
    const cookie = sessionCookie(login.headers['set-cookie']);

    const me = await t.onair.http.inject({
      method: 'GET',
      url: '/api/v1/session',
      headers: { cookie },
    });
    expect(me.json()).toStrictEqual({
      user: 'reader',
      admin: false,
      permissions: [{ action: 'read' }],
    });
    // The session carries the user's permissions, no more.
    expect(
      (await t.onair.http.inject({ method: 'GET', url: '/api/v1/users', headers: { cookie } }))
        .statusCode,
    ).toBe(403);

    const logout = await t.onair.http.inject({
      method: 'DELETE',
      url: '/api/v1/session',
      headers: { cookie },
    });
    expect(logout.statusCode).toBe(204);
    expect(String(logout.headers['set-cookie'])).toContain('Max-Age=0');
    expect(
      (await t.onair.http.inject({ method: 'GET', url: '/api/v1/session', headers: { cookie } }))
        .statusCode,
    ).toBe(401);
  });

  it('ends a session at its TTL', async () => {
    const login = await t.onair.http.inject({
      method: 'POST',
      url: '/api/v1/session',
      payload: { token: READER },
    });
    const cookie = sessionCookie(login.headers['set-cookie']);
    await t.time.advance(600_000 - 1_000);
    expect(
      (await t.onair.http.inject({ method: 'GET', url: '/api/v1/session', headers: { cookie } }))
        .statusCode,
    ).toBe(200);
    await t.time.advance(1_000);
    expect(
      (await t.onair.http.inject({ method: 'GET', url: '/api/v1/session', headers: { cookie } }))
        .statusCode,
    ).toBe(401);
  });

  it('ownership: user B cannot see or remove user A’s keepalive', async () => {
    const a = await createToken(t, ADMIN_TOKEN, { user: 'keeper' });
    const created = await as(a.token, 'POST', '/api/v1/keepalives', { channel: 'cam-1' });
    expect(created.statusCode).toBe(201);
    const { id } = created.json<{ id: string }>();
    expect((await as(MANAGER, 'DELETE', `/api/v1/keepalives/${id}`)).statusCode).toBe(403);
    expect((await as(READER, 'GET', `/api/v1/keepalives/${id}`)).statusCode).toBe(403);
    expect((await as(READER, 'GET', '/api/v1/keepalives')).json()).toStrictEqual([]);
    // The same user through another token is still its creator.
    expect((await as(KEEPER, 'DELETE', `/api/v1/keepalives/${id}`)).statusCode).toBe(204);
  });
});

async function createToken(t: TestOnair, as: string, body: object) {
  const res = await t.onair.http.inject({
    method: 'POST',
    url: '/api/v1/tokens',
    headers: { authorization: `Bearer ${as}` },
    payload: body,
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<{
    id: string;
    user: string;
    name: string | null;
    createdAt: string;
    expiresAt: string | null;
    token: string;
  }>();
}

function sessionCookie(header: string | string[] | number | undefined): string {
  const value = /^(onair_session=[^;]+)/.exec(String(header))?.[1];
  if (value === undefined) throw new Error(`no session cookie in ${String(header)}`);
  return value;
}
