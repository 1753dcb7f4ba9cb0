import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, removeDir, startTestOnair, type TestOnair } from '../../test/e2e/harness.js';
import { waitFor } from '../../test/e2e/hls-peers.js';

const KEEPER = 'keeper-token-123';
const OTHER = 'other-keeper-token';
const RECORDER = 'recorder-token-123';

/** Channels whose origin refuses connections: probes and URL refreshes fail fast, as values. */
const config = {
  auth: {
    adminToken: ADMIN_TOKEN,
    users: [
      {
        name: 'keeper',
        token: KEEPER,
        permissions: [{ action: 'keepalive', channels: ['cam-*'] }],
      },
      { name: 'other', token: OTHER, permissions: [{ action: 'read' }, { action: 'keepalive' }] },
      {
        name: 'recorder',
        token: RECORDER,
        permissions: [{ action: 'keepalive' }, { action: 'record', channels: ['cam-1'] }],
      },
    ],
  },
  refresh: { closeAfter: '10s' },
  channels: [
    { id: 'cam-1', platform: 'hls', url: 'http://127.0.0.1:1/cam-1/index.m3u8' },
    { id: 'cam-2', platform: 'hls', url: 'http://127.0.0.1:1/cam-2/index.m3u8' },
    { id: 'studio', platform: 'hls', url: 'http://127.0.0.1:1/studio/index.m3u8' },
  ],
};

interface KeepaliveBody {
  id: string;
  channel: string;
  createdAt: string;
  expiresAt: string;
  creatorUser: string;
  creatorIp: string;
  record: boolean;
  mode: 'playlist' | 'full';
}

/**
 * A keepalive body without `read` (what it has read changes by itself as its reader runs; the
 * reading tests check it apart).
 */
function withoutRead(json: unknown): unknown {
  if (Array.isArray(json)) return json.map(withoutRead);
  if (typeof json === 'object' && json !== null && 'read' in json) {
    const { read: _read, ...rest } = json as Record<string, unknown>;
    return rest;
  }
  return json;
}

interface ActiveStream {
  channelId: string;
  readers: { kind: string; id: string }[];
}

describe('keepalives', () => {
  let t: TestOnair;

  const call = async (
    token: string,
    method: 'GET' | 'POST' | 'DELETE',
    url: string,
    body?: unknown,
  ) => {
    const res = await t.onair.http.inject({
      method,
      url,
      headers: { authorization: `Bearer ${token}` },
      ...(body === undefined ? {} : { payload: body as object }),
    });
    return {
      status: res.statusCode,
      json: res.body === '' ? null : withoutRead(JSON.parse(res.body) as unknown),
    };
  };
  const create = async (token: string, body: unknown) => {
    const res = await call(token, 'POST', '/api/v1/keepalives', body);
    expect(res.status, JSON.stringify(res.json)).toBe(201);
    return res.json as KeepaliveBody;
  };
  const active = async () =>
    (await call(ADMIN_TOKEN, 'GET', '/api/v1/streams/active')).json as ActiveStream[];

  beforeEach(async () => {
    t = await startTestOnair(config);
  });
  afterEach(async () => {
    await t.stop();
    removeDir(t.dir);
  });

  it('creates, lists, gets and deletes, holding a keepalive reader meanwhile', async () => {
    const created = await create(KEEPER, { channel: 'cam-1' });
    const now = t.time.now();
    expect(created).toStrictEqual({
      id: expect.stringMatching(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      ) as string,
      channel: 'cam-1',
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + 30 * 60_000).toISOString(),
      creatorUser: 'keeper',
      creatorIp: '127.0.0.1',
      record: false,
      mode: 'playlist',
    });
    expect(t.onair.readers.readers('cam-1').map((r) => [r.kind, r.id])).toStrictEqual([
      ['keepalive', created.id],
    ]);
    // No viewer, yet the channel is active: its playback URL is being resolved and kept fresh.
    expect((await active()).find((s) => s.channelId === 'cam-1')?.readers).toMatchObject([
      { kind: 'keepalive', id: created.id },
    ]);

    await t.time.advance(1_000);
    const mine = await create(OTHER, { channel: 'studio', ttl: '2h' });
    expect(mine.expiresAt).toBe(new Date(now + 1_000 + 2 * 3_600_000).toISOString());

    expect((await call(KEEPER, 'GET', '/api/v1/keepalives')).json).toStrictEqual([created]);
    expect((await call(OTHER, 'GET', '/api/v1/keepalives')).json).toStrictEqual([mine]);
    expect((await call(ADMIN_TOKEN, 'GET', '/api/v1/keepalives')).json).toStrictEqual([
      created,
      mine,
    ]);
    expect(await call(KEEPER, 'GET', `/api/v1/keepalives/${created.id}`)).toStrictEqual({
      status: 200,
      json: created,
    });
    expect((await call(OTHER, 'GET', `/api/v1/keepalives/${created.id}`)).status).toBe(403);
    expect((await call(ADMIN_TOKEN, 'GET', `/api/v1/keepalives/${created.id}`)).status).toBe(200);

    // Ownership: another user cannot remove it; its creator can, once.
    expect((await call(OTHER, 'DELETE', `/api/v1/keepalives/${created.id}`)).status).toBe(403);
    expect(t.onair.readers.readers('cam-1')).toHaveLength(1);
    expect((await call(KEEPER, 'DELETE', `/api/v1/keepalives/${created.id}`)).status).toBe(204);
    expect((await call(KEEPER, 'DELETE', `/api/v1/keepalives/${created.id}`)).status).toBe(404);
    expect((await call(KEEPER, 'GET', `/api/v1/keepalives/${created.id}`)).status).toBe(404);
    expect(t.onair.readers.readers('cam-1')).toStrictEqual([]);

    // The refresher keeps going for the close-after delay, then stops.
    expect((await active()).map((s) => s.channelId)).toContain('cam-1');
    await t.time.advance(9_000);
    expect((await active()).map((s) => s.channelId)).toContain('cam-1');
    await t.time.advance(1_500);
    expect((await active()).map((s) => s.channelId)).not.toContain('cam-1');

    // An admin may remove anyone's.
    expect((await call(ADMIN_TOKEN, 'DELETE', `/api/v1/keepalives/${mine.id}`)).status).toBe(204);
  });

  it('refuses unknown channels (404), channels outside the permission (403), bad input (400)', async () => {
    expect((await call(KEEPER, 'POST', '/api/v1/keepalives', { channel: 'cam-9' })).status).toBe(
      404,
    );
    expect((await call(KEEPER, 'POST', '/api/v1/keepalives', { channel: 'studio' })).status).toBe(
      403,
    );
    // Permission is checked before existence, so it does not reveal which channels exist.
    expect((await call(KEEPER, 'POST', '/api/v1/keepalives', { channel: 'nope' })).status).toBe(
      403,
    );
    for (const body of [
      {},
      { channel: 'cam-1', ttl: 'soon' },
      { channel: 'cam-1', ttl: '400d' },
      { channel: 'cam-1', record: 'yes' },
      { channel: 'cam-1', extra: 1 },
    ]) {
      expect(
        (await call(KEEPER, 'POST', '/api/v1/keepalives', body)).status,
        JSON.stringify(body),
      ).toBe(400);
    }
    expect((await call(KEEPER, 'GET', '/api/v1/keepalives')).json).toStrictEqual([]);
  });

  it('stores record: true only with the record permission on the channel', async () => {
    expect(
      (await call(KEEPER, 'POST', '/api/v1/keepalives', { channel: 'cam-1', record: true })).status,
    ).toBe(403);
    expect(
      (await call(RECORDER, 'POST', '/api/v1/keepalives', { channel: 'cam-2', record: true }))
        .status,
    ).toBe(403);
    const recording = await create(RECORDER, { channel: 'cam-1', record: true });
    expect(recording.record).toBe(true);
    expect((await call(RECORDER, 'GET', `/api/v1/keepalives/${recording.id}`)).json).toMatchObject({
      record: true,
    });
  });

  it('expires at its TTL and releases its reader', async () => {
    const created = await create(KEEPER, { channel: 'cam-1', ttl: '1m' });
    await t.time.advance(59_000);
    expect((await call(KEEPER, 'GET', `/api/v1/keepalives/${created.id}`)).status).toBe(200);
    await t.time.advance(1_000);
    expect((await call(KEEPER, 'GET', `/api/v1/keepalives/${created.id}`)).status).toBe(404);
    expect(t.onair.readers.readers('cam-1')).toStrictEqual([]);
  });

  it('is removed with its channel', async () => {
    const created = await create(KEEPER, { channel: 'cam-2' });
    const other = await create(KEEPER, { channel: 'cam-1' });
    expect((await call(ADMIN_TOKEN, 'DELETE', '/api/v1/channels/cam-2')).status).toBe(204);
    expect((await call(KEEPER, 'GET', '/api/v1/keepalives')).json).toStrictEqual([other]);
    expect((await call(KEEPER, 'GET', `/api/v1/keepalives/${created.id}`)).status).toBe(404);
    expect(t.onair.readers.readers('cam-2')).toStrictEqual([]);
  });

  it('survives a restart: re-acquired, and still expires on time; expired-while-down ones are dropped', async () => {
    const long = await create(KEEPER, { channel: 'cam-1', ttl: '1h' });
    const short = await create(KEEPER, { channel: 'cam-2', ttl: '1m' });
    await t.stop();
    t.time.set(t.time.now() + 2 * 60_000);
    t = await startTestOnair(config, { dir: t.dir, time: t.time });
    expect((await call(KEEPER, 'GET', '/api/v1/keepalives')).json).toStrictEqual([long]);
    expect(t.onair.readers.readers('cam-1').map((r) => [r.kind, r.id])).toStrictEqual([
      ['keepalive', long.id],
    ]);
    expect(t.onair.readers.readers('cam-2')).toStrictEqual([]);
    expect((await call(KEEPER, 'GET', `/api/v1/keepalives/${short.id}`)).status).toBe(404);
    await t.time.advance(58 * 60_000);
    expect((await call(KEEPER, 'GET', '/api/v1/keepalives')).json).toStrictEqual([]);
    expect(t.onair.readers.readers('cam-1')).toStrictEqual([]);
  });

  it('announces add, remove and expiry on the event stream, to the creator and admins only', async () => {
    const url = await t.onair.http.listen({ host: '127.0.0.1', port: 0 });
    const adminFeed = await openFeed(`${url}/api/v1/events/stream`, ADMIN_TOKEN);
    const otherFeed = await openFeed(`${url}/api/v1/events/stream`, OTHER);
    try {
      const removed = await create(KEEPER, { channel: 'cam-1' });
      expect((await call(KEEPER, 'DELETE', `/api/v1/keepalives/${removed.id}`)).status).toBe(204);
      const expiring = await create(KEEPER, { channel: 'cam-1', ttl: '5s' });
      await t.time.advance(5_000);
      const own = await create(OTHER, { channel: 'studio' });
      const seen = await adminFeed.until((events) => events.length >= 4);
      expect(seen).toStrictEqual(
        [
          { change: 'added', keepalive: removed },
          { change: 'removed', keepalive: removed },
          { change: 'added', keepalive: expiring },
          { change: 'expired', keepalive: expiring },
          { change: 'added', keepalive: own },
        ].slice(0, seen.length),
      );
      expect(seen.length).toBeGreaterThanOrEqual(4);
      // `other` may read the stream, yet only ever hears about its own keepalive.
      expect(await otherFeed.until((events) => events.length >= 1)).toStrictEqual([
        { change: 'added', keepalive: own },
      ]);
    } finally {
      adminFeed.close();
      otherFeed.close();
    }
  });

  it('takes a mode (playlist by default, or full), refusing any other', async () => {
    const full = await create(KEEPER, { channel: 'cam-1', mode: 'full' });
    expect(full.mode).toBe('full');
    expect(
      (await call(KEEPER, 'POST', '/api/v1/keepalives', { channel: 'cam-1', mode: 'segments' }))
        .status,
    ).toBe(400);
  });

  it('shows what it read: the reader tries at once and records why it could not read', async () => {
    const created = await create(KEEPER, { channel: 'cam-1' });
    const read = async () => {
      const res = await t.onair.http.inject({
        method: 'GET',
        url: `/api/v1/keepalives/${created.id}`,
        headers: { authorization: `Bearer ${KEEPER}` },
      });
      return (JSON.parse(res.body) as { read: Record<string, unknown> | null }).read;
    };
    // The origin refuses connections: nothing read, and the failure is there to see.
    await waitFor(async () => (await read())?.['lastError'] !== null, 10_000, 'a read error');
    expect(await read()).toMatchObject({ lastReadAt: null, bytes: 0, reads: 0 });
    expect((await read())?.['lastError']).toEqual(expect.any(String));
  });

  it('answers the mediamtx keepalive API as aliases, with the same permissions and ownership', async () => {
    const add = await call(KEEPER, 'POST', '/v3/paths/keepalive/add/cam-1');
    expect(add.status).toBe(200);
    const { id } = add.json as { id: string };
    expect(Object.keys(add.json as object)).toStrictEqual(['id']);
    const now = new Date(t.time.now()).toISOString();
    const item = { id, created: now, path: 'cam-1', creatorUser: 'keeper', creatorIP: '127.0.0.1' };
    expect(await call(KEEPER, 'GET', `/v3/paths/keepalive/get/${id}`)).toStrictEqual({
      status: 200,
      json: item,
    });
    // The same keepalive as the onair API's, holding the same reader.
    expect((await call(KEEPER, 'GET', `/api/v1/keepalives/${id}`)).json).toMatchObject({
      id,
      channel: 'cam-1',
      mode: 'playlist',
    });
    expect(t.onair.readers.readers('cam-1').map((r) => [r.kind, r.id])).toStrictEqual([
      ['keepalive', id],
    ]);
    // Permissions: the keepalive permission on {name}, checked before existence.
    expect((await call(KEEPER, 'POST', '/v3/paths/keepalive/add/studio')).status).toBe(403);
    expect((await call(KEEPER, 'POST', '/v3/paths/keepalive/add/cam-9')).status).toBe(404);
    expect((await call('not-a-token-at-all', 'GET', '/v3/paths/keepalive/list')).status).toBe(401);
    // onair's own fields may come in a body; unknown ones are refused.
    await t.time.advance(1_000);
    const long = await call(OTHER, 'POST', '/v3/paths/keepalive/add/studio', { ttl: '2h' });
    expect(long.status).toBe(200);
    expect((await call(OTHER, 'POST', '/v3/paths/keepalive/add/studio', { x: 1 })).status).toBe(
      400,
    );
    const otherId = (long.json as { id: string }).id;

    // Lists: one's own (everyone's for an admin), paged as mediamtx pages.
    expect((await call(KEEPER, 'GET', '/v3/paths/keepalive/list')).json).toStrictEqual({
      pageCount: 1,
      itemCount: 1,
      items: [item],
    });
    const paged = (await call(ADMIN_TOKEN, 'GET', '/v3/paths/keepalive/list?itemsPerPage=1&page=1'))
      .json as { pageCount: number; itemCount: number; items: { id: string }[] };
    expect(paged.pageCount).toBe(2);
    expect(paged.itemCount).toBe(2);
    expect(paged.items.map((i) => i.id)).toStrictEqual([otherId]);
    expect((await call(ADMIN_TOKEN, 'GET', '/v3/paths/keepalive/list?page=-1')).status).toBe(400);

    // Ownership: only the creator or an admin may get or remove one.
    expect((await call(OTHER, 'GET', `/v3/paths/keepalive/get/${id}`)).status).toBe(403);
    expect((await call(OTHER, 'DELETE', `/v3/paths/keepalive/remove/${id}`)).status).toBe(403);
    expect((await call(KEEPER, 'DELETE', `/v3/paths/keepalive/remove/${id}`)).status).toBe(200);
    expect((await call(KEEPER, 'DELETE', `/v3/paths/keepalive/remove/${id}`)).status).toBe(404);
    expect((await call(KEEPER, 'GET', `/v3/paths/keepalive/get/${id}`)).status).toBe(404);
    expect(t.onair.readers.readers('cam-1')).toStrictEqual([]);
    expect(
      (await call(ADMIN_TOKEN, 'DELETE', `/v3/paths/keepalive/remove/${otherId}`)).status,
    ).toBe(200);
  });

  it('is removed with its user; a re-created user of the same name gets none of the old ones', async () => {
    const user = { name: 'bob', permissions: [{ action: 'keepalive' }] };
    const tokenOf = async () => {
      const res = await t.api('POST', '/api/v1/tokens', { user: 'bob' });
      expect(res.status).toBe(201);
      return (res.json as { token: string }).token;
    };
    expect((await t.api('POST', '/api/v1/users', user)).status).toBe(201);
    const first = await tokenOf();
    const kept = await create(first, { channel: 'cam-1' });
    const alias = (await call(first, 'POST', '/v3/paths/keepalive/add/studio')).json as {
      id: string;
    };
    const others = await create(KEEPER, { channel: 'cam-1' });
    expect(t.onair.readers.readers('cam-1')).toHaveLength(2);

    expect((await t.api('DELETE', '/api/v1/users/bob')).status).toBe(204);
    expect((await call(ADMIN_TOKEN, 'GET', '/api/v1/keepalives')).json).toStrictEqual([others]);
    expect(t.onair.readers.readers('cam-1').map((r) => r.id)).toStrictEqual([others.id]);
    expect(t.onair.readers.readers('studio')).toStrictEqual([]);

    expect((await t.api('POST', '/api/v1/users', user)).status).toBe(201);
    const second = await tokenOf();
    expect((await call(second, 'GET', '/api/v1/keepalives')).json).toStrictEqual([]);
    expect((await call(second, 'GET', '/v3/paths/keepalive/list')).json).toMatchObject({
      itemCount: 0,
    });
    for (const id of [kept.id, alias.id]) {
      expect((await call(second, 'GET', `/api/v1/keepalives/${id}`)).status).toBe(404);
      expect((await call(second, 'DELETE', `/v3/paths/keepalive/remove/${id}`)).status).toBe(404);
    }
  });

  it('drops at start the keepalives of users that no longer exist (removed from the config meanwhile)', async () => {
    const gone = await create(OTHER, { channel: 'studio' });
    const staying = await create(KEEPER, { channel: 'cam-1' });
    await t.stop();
    const users = config.auth.users.filter((u) => u.name !== 'other');
    t = await startTestOnair(
      { ...config, auth: { ...config.auth, users } },
      { dir: t.dir, time: t.time },
    );
    expect((await call(ADMIN_TOKEN, 'GET', '/api/v1/keepalives')).json).toStrictEqual([staying]);
    expect((await call(ADMIN_TOKEN, 'GET', `/api/v1/keepalives/${gone.id}`)).status).toBe(404);
    expect(t.onair.readers.readers('studio')).toStrictEqual([]);
  });
});

/** Reads `event: keepalive` messages off a server-sent event stream. */
async function openFeed(url: string, token: string) {
  const controller = new AbortController();
  const res = await fetch(url, {
    headers: { authorization: `Bearer ${token}` },
    signal: controller.signal,
  });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader() as ReadableStreamDefaultReader<Uint8Array>;
  const decoder = new TextDecoder();
  let buffer = '';
  const events: unknown[] = [];
  return {
    async until(done: (events: unknown[]) => boolean): Promise<unknown[]> {
      const deadline = Date.now() + 5_000;
      while (!done(events)) {
        if (Date.now() > deadline) throw new Error(`feed ended with ${JSON.stringify(events)}`);
        const chunk = await reader.read();
        if (chunk.done) break;
        buffer += decoder.decode(chunk.value, { stream: true });
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const type = /^event: (.+)$/m.exec(block)?.[1];
          const data = /^data: (.+)$/m.exec(block)?.[1];
          if (type === 'keepalive' && data !== undefined) {
            const message = JSON.parse(data) as { keepalive: unknown };
            events.push({ ...message, keepalive: withoutRead(message.keepalive) });
          }
        }
      }
      return events;
    },
    close() {
      controller.abort();
    },
  };
}
