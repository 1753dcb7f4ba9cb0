import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeOwncast } from '../../test/fake-servers/owncast.server.js';
import { ADMIN_TOKEN, removeDir, startTestOnair, type TestOnair } from '../../test/e2e/harness.js';

interface ErrorBody {
  error: { code: string; message: string; issues: { path: string; message: string }[] };
}

describe('REST API', () => {
  let t: TestOnair;
  let owncast: FakeOwncast;

  beforeAll(async () => {
    owncast = await FakeOwncast.start();
    t = await startTestOnair({
      poll: { timeout: '500ms' },
      targets: [
        {
          id: 'ops',
          type: 'webhook',
          url: 'http://127.0.0.1:9/hook?token=abc',
          secret: 'very-secret',
        },
      ],
      channels: [{ id: 'alice', platform: 'owncast', url: owncast.url, notify: ['ops'] }],
    });
  });
  afterAll(async () => {
    await t.stop();
    await owncast.close();
    removeDir(t.dir);
  });

  it('answers /healthz without a token', async () => {
    const res = await t.onair.http.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ok: true });
  });

  it('refuses every other route without the right bearer token', async () => {
    for (const url of ['/api/v1/channels', '/api/v1/events', '/metrics', '/api/v1/openapi.json']) {
      const anonymous = await t.onair.http.inject({ method: 'GET', url });
      expect(anonymous.statusCode, url).toBe(401);
      const wrong = await t.onair.http.inject({
        method: 'GET',
        url,
        headers: { authorization: 'Bearer nope-nope' },
      });
      expect(wrong.statusCode, url).toBe(401);
    }
    const right = await t.onair.http.inject({
      method: 'GET',
      url: '/api/v1/channels',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(right.statusCode).toBe(200);
  });

  it('creates, reads, updates and deletes a channel, with its state', async () => {
    const created = await t.api('POST', '/api/v1/channels', {
      id: 'bob',
      platform: 'owncast',
      url: `${owncast.url}/bob`,
      interval: '45s',
      notify: [{ target: 'ops', events: ['live'], onOffline: 'edit' }],
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      id: 'bob',
      platform: 'owncast',
      interval: '45s',
      notify: [{ target: 'ops', events: ['live'], onOffline: 'edit' }],
      source: 'api',
      status: 'unknown',
      title: null,
      liveSince: null,
      offlineSince: null,
      lastCheckedAt: null,
      lastError: null,
    });
    owncast.goLive('Hello', new Date(t.time.now()), '/bob');
    const checked = await t.api('POST', '/api/v1/channels/bob/check');
    expect(checked.json).toMatchObject({
      status: 'live',
      title: 'Hello',
      liveSince: new Date(Math.floor(t.time.now() / 1000) * 1000).toISOString(),
    });
    const patched = await t.api('PATCH', '/api/v1/channels/bob', {
      name: 'Bob TV',
      interval: '2m',
    });
    // A partial update keeps what it does not mention, subscription wishes included.
    expect(patched.json).toMatchObject({
      id: 'bob',
      name: 'Bob TV',
      interval: '2m',
      status: 'live',
      notify: [{ target: 'ops', events: ['live'], onOffline: 'edit' }],
    });
    const list = (await t.api('GET', '/api/v1/channels')).json as { id: string }[];
    expect(list.map((c) => c.id)).toEqual(['alice', 'bob']);
    expect((await t.api('DELETE', '/api/v1/channels/bob')).status).toBe(204);
    expect((await t.api('GET', '/api/v1/channels/bob')).status).toBe(404);
    expect((await t.api('DELETE', '/api/v1/channels/bob')).status).toBe(404);
  });

  it('answers bad channel input with a 400 that names each field, and stores nothing', async () => {
    const res = await t.api('POST', '/api/v1/channels', {
      id: 'carol',
      platform: 'owncast',
      interval: 'soon',
    });
    expect(res.status).toBe(400);
    const body = res.json as ErrorBody;
    expect(body.error.code).toBe('invalid');
    expect(body.error.issues.map((i) => i.path).sort()).toEqual(['interval', 'url']);
    const platform = (
      await t.api('POST', '/api/v1/channels', { id: 'carol', platform: 'myspace', url: 'http://x' })
    ).json as ErrorBody;
    expect(platform.error.issues).toEqual([
      {
        path: 'platform',
        message: expect.stringContaining('unknown platform "myspace"') as string,
      },
    ]);
    const target = (
      await t.api('POST', '/api/v1/channels', {
        id: 'carol',
        platform: 'hls',
        url: 'http://x/a.m3u8',
        notify: ['nobody'],
      })
    ).json as ErrorBody;
    expect(target.error.issues).toEqual([
      { path: 'notify.0', message: 'no target with id "nobody"' },
    ]);
    expect((await t.api('GET', '/api/v1/channels/carol')).status).toBe(404);
    const dup = await t.api('POST', '/api/v1/channels', {
      id: 'alice',
      platform: 'owncast',
      url: owncast.url,
    });
    expect(dup.status).toBe(409);
    const rename = await t.api('PATCH', '/api/v1/channels/alice', { id: 'other' });
    expect((rename.json as ErrorBody).error.issues).toEqual([
      { path: 'id', message: 'cannot be changed' },
    ]);
    expect((await t.api('GET', '/api/v1/channels/alice')).json).toMatchObject({
      id: 'alice',
      url: owncast.url + '/',
    });
  });

  it('answers malformed JSON and wrong types with a 400', async () => {
    const res = await t.onair.http.inject({
      method: 'POST',
      url: '/api/v1/channels',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      payload: '{"id": ',
    });
    expect(res.statusCode).toBe(400);
    expect((await t.api('POST', '/api/v1/channels', [1, 2])).status).toBe(400);
    expect((await t.api('GET', '/api/v1/events?limit=lots')).status).toBe(400);
    expect((await t.api('GET', '/api/v1/channels/not%20an%20id')).status).toBe(400);
  });

  it('keeps target secrets out of its answers and refuses to delete a target in use', async () => {
    const target = (await t.api('GET', '/api/v1/targets/ops')).json as Record<string, unknown>;
    expect(target).toMatchObject({
      id: 'ops',
      type: 'webhook',
      secret: 'REDACTED',
      url: 'http://127.0.0.1:9/hook?token=REDACTED',
    });
    expect(JSON.stringify(await t.api('GET', '/api/v1/targets'))).not.toContain('very-secret');
    expect((await t.api('DELETE', '/api/v1/targets/ops')).status).toBe(409);
    expect(
      (await t.api('POST', '/api/v1/targets', { id: 'x', type: 'webhook', url: 'nope' })).status,
    ).toBe(400);
    expect(
      (
        await t.api('POST', '/api/v1/targets', {
          id: 'spare',
          type: 'webhook',
          url: 'http://127.0.0.1:9/h',
        })
      ).status,
    ).toBe(201);
    expect(
      (await t.api('PATCH', '/api/v1/targets/spare', { secret: 'another-secret' })).json,
    ).toMatchObject({ secret: 'REDACTED' });
    expect((await t.api('DELETE', '/api/v1/targets/spare')).status).toBe(204);
  });

  it('lists events newest first, filtered by channel, with suppressed ones and their reason', async () => {
    owncast.goLive('First', new Date(t.time.now()));
    await t.api('POST', '/api/v1/channels/alice/check');
    const events = (await t.api('GET', '/api/v1/events?channel=alice&limit=10')).json as {
      event: string;
      suppressed?: string;
      channel: { id: string };
    }[];
    expect(events[0]).toMatchObject({
      event: 'live',
      suppressed: 'firstObservation',
      channel: { id: 'alice' },
    });
    expect(((await t.api('GET', '/api/v1/events?channel=nobody')).json as unknown[]).length).toBe(
      0,
    );
  });

  it('serves an OpenAPI document and Prometheus metrics', async () => {
    const doc = (await t.api('GET', '/api/v1/openapi.json')).json as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/channels',
        '/api/v1/channels/{id}',
        '/api/v1/events',
        '/api/v1/events/stream',
        '/healthz',
      ]),
    );
    const metrics = await t.onair.http.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(metrics.body).toMatch(/onair_channels\{status="live"\} 1/);
    expect(metrics.body).toMatch(/onair_probes_total\{platform="owncast",result="live"\}/);
    expect(metrics.body).toContain('onair_probe_duration_seconds_bucket');
    expect(metrics.body).toContain('onair_outbox_deliveries{status="pending"}');
  });

  it('streams events as server-sent events', async () => {
    const url = await t.onair.http.listen({ host: '127.0.0.1', port: 0 });
    const controller = new AbortController();
    const res = await fetch(`${url}/api/v1/events/stream`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      signal: controller.signal,
    });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    owncast.setTitle('Second');
    t.time.set(t.time.now() + 1_000);
    await t.api('POST', '/api/v1/channels/alice/check');
    let text = '';
    while (!text.includes('event: state')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value as Uint8Array);
    }
    controller.abort();
    expect(text).toMatch(
      /event: event\ndata: \{"id":"[^"]+","event":"title","channel":\{"id":"alice"/,
    );
    expect(text).toContain(
      'event: state\ndata: {"channelId":"alice","status":"live","title":"Second"}',
    );
  });
});
