import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeOwncast } from '../../../test/fake-servers/owncast.server.js';
import { WebhookReceiver } from '../../../test/fake-servers/webhook-receiver.server.js';
import { removeDir, startTestOnair, type TestOnair } from '../../../test/e2e/harness.js';

const SECRET = 'owncast-hook-secret';

/** Owncast webhooks into the real app: signed or `?secret=`, forged ones refused, push and poll agreeing. */
describe('Owncast webhooks', () => {
  let owncast: FakeOwncast;
  let receiver: WebhookReceiver;
  let t: TestOnair;
  let connectedAt: Date;

  beforeAll(async () => {
    owncast = await FakeOwncast.start();
    receiver = await WebhookReceiver.start();
    t = await startTestOnair({
      policy: { reconnectGrace: '0s', notifyCooldown: '0s' },
      poll: { interval: '1h', timeout: '1s' },
      targets: [{ id: 'hook', type: 'webhook', url: receiver.url }],
      channels: [
        {
          id: 'alice',
          platform: 'owncast',
          url: `${owncast.url}/alice`,
          webhookSecret: SECRET,
          notify: [{ target: 'hook', events: ['live', 'title', 'offline'] }],
        },
        { id: 'nosecret', platform: 'owncast', url: `${owncast.url}/b`, notify: ['hook'] },
      ],
    });
    connectedAt = new Date(t.time.now() - 2_000);
    owncast.goOffline('/alice');
    await t.onair.poll.checkNow('alice');
    await t.onair.poll.checkNow('nosecret');
  });
  afterAll(async () => {
    await t.stop();
    await owncast.close();
    await receiver.close();
    removeDir(t.dir);
  });

  const body = (type: string, title: string) =>
    JSON.stringify({
      type,
      eventData: {
        id: `ev-${type}`,
        name: 'Alice TV',
        streamTitle: title,
        summary: '',
        timestamp: new Date(t.time.now()).toISOString(),
        status: {
          online: false,
          viewerCount: 0,
          lastConnectTime:
            type === 'STREAM_STOPPED' ? null : connectedAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
          lastDisconnectTime: null,
          versionNumber: '0.3.0',
          streamTitle: title,
        },
      },
    });
  const sign = (raw: string, at = t.time.now(), secret = SECRET) => {
    const ts = Math.floor(at / 1000);
    return `t=${ts}.s=${createHmac('sha256', secret).update(`${ts}.${raw}`).digest('hex')}`;
  };
  const post = (url: string, raw: string, headers: Record<string, string> = {}) =>
    t.onair.http.inject({
      method: 'POST',
      url,
      payload: raw,
      headers: { 'content-type': 'application/json', ...headers },
    });
  async function quiet(): Promise<void> {
    await new Promise((r) => setTimeout(r, 50));
    await t.onair.delivery.settle();
  }

  it.each([
    [
      'a forged signature',
      () => ({
        'owncast-signature': sign(body('STREAM_STARTED', 'x'), undefined, 'not-the-secret'),
      }),
      '',
    ],
    [
      'a signature older than 300 s',
      () => ({ 'owncast-signature': sign(body('STREAM_STARTED', 'x'), t.time.now() - 301_000) }),
      '',
    ],
    ['a malformed signature', () => ({ 'owncast-signature': 't=1,s=abc' }), ''],
    ['a wrong ?secret=', () => ({}), '?secret=guess-guess'],
    ['no credentials at all', () => ({}), ''],
  ])('refuses %s with 401 and delivers nothing', async (_name, headers, query) => {
    const raw = body('STREAM_STARTED', 'x');
    const res = await post(`/api/v1/hooks/owncast/alice${query}`, raw, headers());
    expect(res.statusCode).toBe(401);
    expect(res.body).not.toContain(SECRET);
    await quiet();
    expect(receiver.events).toEqual([]);
    expect(t.onair.sentinel.state('alice').liveness).toBe('offline');
  });

  it('refuses a channel without a webhookSecret and an unknown channel alike', async () => {
    const raw = body('STREAM_STARTED', 'x');
    expect(
      (await post('/api/v1/hooks/owncast/nosecret', raw, { 'owncast-signature': sign(raw) }))
        .statusCode,
    ).toBe(401);
    expect(
      (await post('/api/v1/hooks/owncast/nobody', raw, { 'owncast-signature': sign(raw) }))
        .statusCode,
    ).toBe(401);
    await quiet();
    expect(receiver.events).toEqual([]);
  });

  it('turns a signed STREAM_STARTED into a notification at once, then confirms by polling once', async () => {
    const raw = body('STREAM_STARTED', 'Night build');
    const hookAt = t.time.now();
    const res = await post('/api/v1/hooks/owncast/alice', raw, { 'owncast-signature': sign(raw) });
    expect(res.statusCode).toBe(204);
    // The manual clock stands still: the notice can only come from the hook, not from a timer.
    while (receiver.requests.length === 0) await new Promise((r) => setImmediate(r));
    expect(t.time.now()).toBe(hookAt);
    expect(receiver.events).toEqual(['live:Night build']);

    // Owncast's status agrees a little later; the confirmation poll sees the same session.
    owncast.goLive('Night build', connectedAt, '/alice');
    expect(t.onair.sentinel.state('alice').lastCheckedAt).toBe(hookAt);
    await t.time.advance(9_999);
    await t.onair.poll.whenIdle();
    expect(t.onair.sentinel.state('alice').lastCheckedAt).toBe(hookAt);
    await t.time.advance(1);
    await t.onair.poll.whenIdle();
    await quiet();
    expect(t.onair.sentinel.state('alice').lastCheckedAt).toBe(hookAt + 10_000);
    expect(receiver.events).toEqual(['live:Night build']);
  });

  it('takes STREAM_TITLE_UPDATED and, unsigned with ?secret=, STREAM_STOPPED', async () => {
    const raw = body('STREAM_TITLE_UPDATED', 'Second half');
    expect(
      (await post('/api/v1/hooks/owncast/alice', raw, { 'owncast-signature': sign(raw) }))
        .statusCode,
    ).toBe(204);
    await quiet();
    expect(receiver.events).toEqual(['live:Night build', 'title:Second half']);
    const stop = body('STREAM_STOPPED', 'Second half');
    expect((await post(`/api/v1/hooks/owncast/alice?secret=${SECRET}`, stop)).statusCode).toBe(204);
    await quiet();
    expect(receiver.events).toEqual([
      'live:Night build',
      'title:Second half',
      'offline:Second half',
    ]);
  });

  it('accepts and ignores events that say nothing about liveness', async () => {
    const raw = JSON.stringify({ type: 'CHAT', eventData: { body: 'hi' } });
    expect(
      (await post('/api/v1/hooks/owncast/alice', raw, { 'owncast-signature': sign(raw) }))
        .statusCode,
    ).toBe(204);
    const garbage = '{"type":';
    expect(
      (await post('/api/v1/hooks/owncast/alice', garbage, { 'owncast-signature': sign(garbage) }))
        .statusCode,
    ).toBe(400);
    await quiet();
    expect(receiver.events).toEqual([
      'live:Night build',
      'title:Second half',
      'offline:Second half',
    ]);
  });
});
