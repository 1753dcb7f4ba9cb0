import { createHmac } from 'node:crypto';
import { get } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthStore } from '../../src/ports/store.js';
import { ADMIN_TOKEN, removeDir, startTestOnair, type TestOnair } from '../e2e/harness.js';

/**
 * Issue 22's attacks by the people onair lets in — a read-only user, a channel-scoped manager, a
 * browser on a sibling site, a client behind a shared address — each through the real app over
 * HTTP, in process, on a manual clock. Each test first did the harm on the old code.
 */
describe('hostile users and clients (issue 22)', () => {
  let t: TestOnair;
  const closed = 'http://127.0.0.1:1';
  const HOOK_SECRET = 'owncast-hook-secret';

  const call = async (
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    options: {
      token?: string | null;
      body?: unknown;
      ip?: string;
      headers?: Record<string, string>;
    } = {},
  ) => {
    const res = await t.onair.http.inject({
      method,
      url,
      ...(options.ip === undefined ? {} : { remoteAddress: options.ip }),
      headers: {
        ...(options.token === null
          ? {}
          : { authorization: `Bearer ${options.token ?? ADMIN_TOKEN}` }),
        ...options.headers,
      },
      ...(options.body === undefined ? {} : { payload: options.body as object }),
    });
    return {
      status: res.statusCode,
      headers: res.headers,
      json: (res.body === '' ? null : JSON.parse(res.body)) as Record<string, unknown>,
    };
  };

  /** A user with `permissions` and an API token (optionally with a TTL): returns the token. */
  const userWithToken = async (
    name: string,
    permissions: object[],
    ttl?: string,
  ): Promise<{ id: string; token: string }> => {
    expect((await call('POST', '/api/v1/users', { body: { name, permissions } })).status).toBe(201);
    const created = await call('POST', '/api/v1/tokens', {
      body: { user: name, ...(ttl === undefined ? {} : { ttl }) },
    });
    expect(created.status).toBe(201);
    return { id: created.json['id'] as string, token: created.json['token'] as string };
  };

  beforeAll(async () => {
    t = await startTestOnair({
      poll: { timeout: '500ms' },
      auth: {
        adminToken: ADMIN_TOKEN,
        failedAuth: { maxFailures: 5, window: '15m' },
        maxTokensPerUser: 3,
        maxSessionsPerUser: 2,
      },
      targets: [
        {
          id: 'hook',
          type: 'webhook',
          url: `${closed}/hook`,
          secret: 'stored-webhook-secret',
          headers: { 'x-api-key': 'stored-header-secret' },
        },
      ],
      channels: [
        {
          id: 'cast',
          platform: 'owncast',
          url: closed,
          notify: ['hook'],
          webhookSecret: HOOK_SECRET,
        },
      ],
    });
  });
  afterAll(async () => {
    await t.stop();
    removeDir(t.dir);
  });

  it('compiles a 4,000-character "{{" template from a PATCH at once (it froze the process)', async () => {
    const res = await call('PATCH', '/api/v1/channels/cast', {
      body: { notify: [{ target: 'hook', template: { live: `{{${' '.repeat(3_990)}` } }] },
    });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.json)).toContain('unbalanced');
  });

  it('redacts a channel URL with 20,000 secret-looking parameters at once (quadratic before)', async () => {
    const query = Array.from({ length: 20_000 }, (_, i) => `token${i}=v`).join('&');
    const created = await call('POST', '/api/v1/channels', {
      body: { id: 'many', platform: 'hls', url: `${closed}/live.m3u8?${query}` },
    });
    expect(created.status).toBe(201);
    const listed = await call('GET', '/api/v1/channels/many');
    expect(listed.status).toBe(200);
    expect(listed.json['url']).toContain('token19999=REDACTED');
    expect(listed.json['url']).not.toContain('=v');
    expect((await call('DELETE', '/api/v1/channels/many')).status).toBe(204);
  });

  it('drops a target’s stored secrets when its endpoint changes without them', async () => {
    const moved = await call('PATCH', '/api/v1/targets/hook', {
      body: { url: 'http://127.0.0.1:2/attacker' },
    });
    expect(moved.status).toBe(200);
    const stored = await t.onair.store.getTarget('hook');
    expect(stored?.options['url']).toBe('http://127.0.0.1:2/attacker');
    expect(stored?.options['secret']).toBeUndefined();
    expect(stored?.options['headers']).toBeUndefined();
    // Given again, a secret is kept; a change of only a secret keeps the endpoint.
    const again = await call('PATCH', '/api/v1/targets/hook', {
      body: { url: `${closed}/hook`, secret: 'new-webhook-secret' },
    });
    expect(again.status).toBe(200);
    expect((await t.onair.store.getTarget('hook'))?.options['secret']).toBe('new-webhook-secret');
    expect(
      (await call('PATCH', '/api/v1/targets/hook', { body: { secret: 'third' } })).status,
    ).toBe(200);
    expect((await t.onair.store.getTarget('hook'))?.options['url']).toBe(`${closed}/hook`);
  });

  it('refuses the REDACTED placeholder the views show, keeping the stored value', async () => {
    const created = await call('POST', '/api/v1/channels', {
      body: { id: 'cdn', platform: 'hls', url: `${closed}/live.m3u8?token=cdn-secret-1` },
    });
    expect(created.status).toBe(201);
    expect(created.json['url']).toBe(`${closed}/live.m3u8?token=REDACTED`);
    const renamed = await call('PATCH', '/api/v1/channels/cdn', {
      body: { name: 'CDN', url: created.json['url'] },
    });
    expect(renamed.status).toBe(400);
    expect(JSON.stringify(renamed.json)).toContain('REDACTED placeholder');
    expect((await t.onair.store.getChannel('cdn'))?.url).toContain('cdn-secret-1');
    // What the web app now sends when only the name changed.
    expect((await call('PATCH', '/api/v1/channels/cdn', { body: { name: 'CDN' } })).status).toBe(
      200,
    );
    expect((await t.onair.store.getChannel('cdn'))?.url).toContain('cdn-secret-1');
    const secretBack = await call('PATCH', '/api/v1/targets/hook', {
      body: { secret: 'REDACTED' },
    });
    expect(secretBack.status).toBe(400);
    expect((await call('DELETE', '/api/v1/channels/cdn')).status).toBe(204);
  });

  it('bounds token TTLs and lists tokens whatever is stored (1000000000d made it a 500)', async () => {
    const reader = await userWithToken('reader', [{ action: 'read' }]);
    const huge = await call('POST', '/api/v1/tokens', {
      token: reader.token,
      body: { ttl: '1000000000d' },
    });
    expect(huge.status).toBe(400);
    expect(
      (await call('POST', '/api/v1/tokens', { token: reader.token, body: { ttl: '400d' } })).status,
    ).toBe(400);
    // A value stored before the bound (or by hand) still lists.
    await (t.onair.store as unknown as AuthStore).insertToken({
      id: 'feedfacefeedface',
      userName: 'reader',
      name: 'legacy',
      hash: '00'.repeat(32),
      createdAt: t.time.now(),
      expiresAt: t.time.now() + 1_000_000_000 * 86_400_000,
    });
    const listed = await call('GET', '/api/v1/tokens');
    expect(listed.status).toBe(200);
    expect(JSON.stringify(listed.json)).toContain('"expiresAt":null');
  });

  it('limits the tokens one user may hold', async () => {
    const { token } = await userWithToken('hoarder', [{ action: 'read' }]);
    expect((await call('POST', '/api/v1/tokens', { token, body: {} })).status).toBe(201);
    expect((await call('POST', '/api/v1/tokens', { token, body: {} })).status).toBe(201);
    const fourth = await call('POST', '/api/v1/tokens', { token, body: {} });
    expect(fourth.status).toBe(409);
    expect(JSON.stringify(fourth.json)).toContain('maxTokensPerUser');
  });

  it('never lets a web session outlive its token (a 5 s token opened a 7-day session)', async () => {
    const { token } = await userWithToken('brief', [{ action: 'read' }], '5s');
    const login = await call('POST', '/api/v1/session', { token: null, body: { token } });
    expect(login.status).toBe(200);
    expect(Date.parse(login.json['expiresAt'] as string)).toBeLessThanOrEqual(t.time.now() + 5_000);
    const cookie = String(login.headers['set-cookie']).split(';')[0]!;
    expect(cookie).toMatch(/Max-Age=5|onair_session=/);
    expect(
      (await call('GET', '/api/v1/session', { token: null, headers: { cookie } })).status,
    ).toBe(200);
    await t.time.advance(6_000);
    expect(
      (await call('GET', '/api/v1/session', { token: null, headers: { cookie } })).status,
    ).toBe(401);
  });

  it('keeps at most maxSessionsPerUser sessions per user, ending the oldest', async () => {
    const { token } = await userWithToken('many-logins', [{ action: 'read' }]);
    const cookies: string[] = [];
    for (let i = 0; i < 3; i++) {
      const login = await call('POST', '/api/v1/session', { token: null, body: { token } });
      expect(login.status).toBe(200);
      cookies.push(String(login.headers['set-cookie']).split(';')[0]!);
      await t.time.advance(1_000);
    }
    const who = (cookie: string) =>
      call('GET', '/api/v1/session', { token: null, headers: { cookie } });
    expect((await who(cookies[0]!)).status).toBe(401);
    expect((await who(cookies[1]!)).status).toBe(200);
    expect((await who(cookies[2]!)).status).toBe(200);
  });

  it('ends a session when its token is revoked before expiry', async () => {
    const { id, token } = await userWithToken('revoked', [{ action: 'read' }], '1h');
    const login = await call('POST', '/api/v1/session', { token: null, body: { token } });
    const cookie = String(login.headers['set-cookie']).split(';')[0]!;
    expect((await call('DELETE', `/api/v1/tokens/${id}`)).status).toBe(204);
    expect(
      (await call('GET', '/api/v1/session', { token: null, headers: { cookie } })).status,
    ).toBe(401);
  });

  /** Opens the event stream over a real socket; the promise it gives settles when the stream ends. */
  const openStream = async (
    headers: Record<string, string>,
  ): Promise<{ readonly ended: Promise<void> }> => {
    const base = await listening();
    return new Promise((opened, failed) => {
      const req = get(`${base}/api/v1/events/stream`, { headers }, (res) => {
        expect(res.statusCode).toBe(200);
        res.resume();
        opened({ ended: new Promise<void>((ended) => res.on('close', ended)) });
      });
      req.on('error', failed);
    });
  };
  let address: string | undefined;
  const listening = async (): Promise<string> => {
    address ??= await t.onair.http.listen({ host: '127.0.0.1', port: 0 });
    return address;
  };

  it('ends open event streams when their token, session or user is revoked or loses permission', async () => {
    const token = await userWithToken('watcher', [{ action: 'read' }]);
    const byToken = await openStream({ authorization: `Bearer ${token.token}` });
    expect((await call('DELETE', `/api/v1/tokens/${token.id}`)).status).toBe(204);
    await byToken.ended;

    const second = (await call('POST', '/api/v1/tokens', { body: { user: 'watcher' } })).json;
    const login = await call('POST', '/api/v1/session', {
      token: null,
      body: { token: second['token'] },
    });
    const cookie = String(login.headers['set-cookie']).split(';')[0]!;
    const bySession = await openStream({ cookie });
    expect(
      (await call('DELETE', '/api/v1/session', { token: null, headers: { cookie } })).status,
    ).toBe(204);
    await bySession.ended;

    const demoted = await openStream({ authorization: `Bearer ${String(second['token'])}` });
    // Another user's change leaves the stream open; losing `read` ends it.
    await call('PATCH', '/api/v1/users/reader', { body: { permissions: [{ action: 'read' }] } });
    expect(
      (
        await call('PATCH', '/api/v1/users/watcher', {
          body: { permissions: [{ action: 'keepalive' }] },
        })
      ).status,
    ).toBe(200);
    await demoted.ended;

    const third = (await call('POST', '/api/v1/tokens', { body: { user: 'watcher' } })).json;
    await call('PATCH', '/api/v1/users/watcher', { body: { permissions: [{ action: 'read' }] } });
    const deleted = await openStream({ authorization: `Bearer ${String(third['token'])}` });
    expect((await call('DELETE', '/api/v1/users/watcher')).status).toBe(204);
    await deleted.ended;
  });

  it('refuses cookie-authenticated writes from another site, accepts same-origin ones', async () => {
    const { token } = await userWithToken('browser', [{ action: 'manage' }]);
    const login = await call('POST', '/api/v1/session', { token: null, body: { token } });
    const cookie = String(login.headers['set-cookie']).split(';')[0]!;
    const body = { id: 'formmade', platform: 'hls', url: `${closed}/x.m3u8` };
    const sibling = await call('POST', '/api/v1/channels', {
      token: null,
      body,
      headers: { cookie, 'sec-fetch-site': 'same-site', origin: 'https://evil.example.org' },
    });
    expect(sibling.status).toBe(403);
    const foreignOrigin = await call('POST', '/api/v1/channels', {
      token: null,
      body,
      headers: { cookie, origin: 'https://evil.example.org' },
    });
    expect(foreignOrigin.status).toBe(403);
    expect(await t.onair.store.getChannel('formmade')).toBeUndefined();
    const own = await call('POST', '/api/v1/channels', {
      token: null,
      body,
      headers: { cookie, 'sec-fetch-site': 'same-origin', origin: 'http://localhost:80' },
    });
    expect(own.status).toBe(201);
    // Reading with the cookie from anywhere stays possible (the answer is the browser's to guard).
    expect(
      (
        await call('GET', '/api/v1/channels', {
          token: null,
          headers: { cookie, 'sec-fetch-site': 'cross-site' },
        })
      ).status,
    ).toBe(200);
    expect((await call('DELETE', '/api/v1/channels/formmade')).status).toBe(204);
  });

  it('never answers a valid token 429: only failed attempts from the address are refused', async () => {
    const ip = '198.51.100.9';
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++)
      statuses.push((await call('GET', '/api/v1/channels', { token: 'wrong-guess', ip })).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
    expect((await call('GET', '/api/v1/channels', { ip })).status).toBe(200);
    expect(
      (await call('POST', '/api/v1/session', { token: null, ip, body: { token: 'wrong-guess' } }))
        .status,
    ).toBe(429);
    expect(
      (await call('POST', '/api/v1/session', { token: null, ip, body: { token: ADMIN_TOKEN } }))
        .status,
    ).toBe(200);
    // Another address is not affected.
    expect(
      (await call('GET', '/api/v1/channels', { token: 'x', ip: '198.51.100.10' })).status,
    ).toBe(401);
  });

  it('counts wrong Owncast ?secret= guesses like wrong tokens', async () => {
    const ip = '198.51.100.20';
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++)
      statuses.push(
        (
          await call('POST', `/api/v1/hooks/owncast/cast?secret=guess${i}`, {
            token: null,
            ip,
            body: { type: 'STREAM_STOPPED' },
          })
        ).status,
      );
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    expect(
      (
        await call('POST', `/api/v1/hooks/owncast/cast?secret=${HOOK_SECRET}`, {
          token: null,
          ip,
          body: { type: 'CHAT' },
        })
      ).status,
    ).toBe(204);
  });

  it("clips a platform's 150,000-character title and name at ingestion", async () => {
    const started = await call('POST', `/api/v1/hooks/owncast/cast?secret=${HOOK_SECRET}`, {
      token: null,
      body: {
        type: 'STREAM_STARTED',
        eventData: {
          name: '😀'.repeat(20_000),
          streamTitle: `${'T'.repeat(499)}😀${'x'.repeat(150_000)}`,
          status: { online: true },
        },
      },
    });
    expect(started.status).toBe(204);
    const channel = (await call('GET', '/api/v1/channels/cast')).json;
    const title = channel['title'] as string;
    expect(title.length).toBeLessThanOrEqual(500);
    expect(title.endsWith('…')).toBe(true);
    expect(title).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
    const events = (await call('GET', '/api/v1/events?channel=cast&limit=5')).json as unknown as {
      title: string | null;
    }[];
    for (const e of events) expect((e.title ?? '').length).toBeLessThanOrEqual(500);
  });

  it('refuses a replayed signed Owncast webhook within its window', async () => {
    const raw = JSON.stringify({ type: 'CHAT' });
    const ts = String(Math.floor(t.time.now() / 1_000));
    const sig = createHmac('sha256', HOOK_SECRET).update(`${ts}.`).update(raw).digest('hex');
    const send = () =>
      t.onair.http.inject({
        method: 'POST',
        url: '/api/v1/hooks/owncast/cast',
        headers: { 'content-type': 'application/json', 'owncast-signature': `t=${ts}.s=${sig}` },
        payload: raw,
      });
    expect((await send()).statusCode).toBe(204);
    expect((await send()).statusCode).toBe(409);
  });
});
