import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeOwncast } from '../fake-servers/owncast.server.js';
import { WebhookReceiver } from '../fake-servers/webhook-receiver.server.js';
import { removeDir, startTestOnair, type TestOnair } from './harness.js';

const SEC = 1_000;

/** The durable outbox against a real receiver that misbehaves, on a manual clock. */
describe('webhook delivery through the outbox', () => {
  let owncast: FakeOwncast;
  let receiver: WebhookReceiver;
  let t: TestOnair;
  let start: number;

  beforeEach(async () => {
    owncast = await FakeOwncast.start();
    receiver = await WebhookReceiver.start();
    t = await startTestOnair({
      policy: { reconnectGrace: '0s' },
      targets: [{ id: 'ops', type: 'webhook', url: receiver.url }],
      channels: [
        {
          id: 'alice',
          platform: 'owncast',
          url: owncast.url,
          notify: [{ target: 'ops', events: ['live', 'title', 'offline'] }],
        },
      ],
    });
    start = t.time.now();
    owncast.goOffline();
    await t.onair.poll.checkNow('alice');
  });
  afterEach(async () => {
    await t.stop();
    await owncast.close();
    await receiver.close();
    removeDir(t.dir);
  });

  /** Steps the clock one second at a time, letting the worker send what falls due. */
  async function runFor(ms: number): Promise<void> {
    for (let elapsed = 0; elapsed < ms; elapsed += SEC) {
      t.time.set(t.time.now() + SEC);
      await t.onair.delivery.settle();
    }
  }

  async function produceThreeEvents(): Promise<void> {
    owncast.goLive('One', new Date(t.time.now()));
    await t.onair.poll.checkNow('alice');
    owncast.setTitle('Two');
    await t.onair.poll.checkNow('alice');
    owncast.goOffline();
    await t.onair.poll.checkNow('alice');
  }

  it('gets every notification, once per id and in order, after a minute of 503s', async () => {
    receiver.respond = () => (t.time.now() < start + 60 * SEC ? { status: 503 } : { status: 204 });
    await produceThreeEvents();
    await runFor(10 * SEC);
    expect(receiver.accepted).toHaveLength(0);
    expect(receiver.requests.length).toBeGreaterThan(1);
    const pending = (await t.api('GET', '/api/v1/targets/ops/deliveries?status=pending')).json as {
      attempts: number;
      lastError: string;
    }[];
    expect(pending).toHaveLength(3);
    expect(pending.some((d) => d.attempts >= 2 && d.lastError.includes('503'))).toBe(true);

    await runFor(5 * 60 * SEC);
    expect(receiver.events).toEqual(['live:One', 'title:Two', 'offline:Two']);
    const ids = receiver.accepted.map((r) => r.body.id);
    expect(new Set(ids).size).toBe(3);
    // Order: while the live notice was failing, nothing else of this channel was attempted.
    const firstAccepted = receiver.requests.findIndex((r) => r.status < 300);
    expect(receiver.requests.slice(0, firstAccepted).every((r) => r.body.event === 'live')).toBe(
      true,
    );
    expect(
      ((await t.api('GET', '/api/v1/targets/ops/deliveries?status=pending')).json as unknown[])
        .length,
    ).toBe(0);
  });

  it('waits as long as Retry-After says', async () => {
    receiver.respond = (n) =>
      n === 0 ? { status: 429, headers: { 'retry-after': '30' } } : { status: 204 };
    owncast.goLive('One', new Date(t.time.now()));
    await t.onair.poll.checkNow('alice');
    await t.onair.delivery.settle();
    await runFor(29 * SEC);
    expect(receiver.accepted).toHaveLength(0);
    await runFor(2 * SEC);
    expect(receiver.events).toEqual(['live:One']);
  });

  it('gives up at once on a permanent error and records it', async () => {
    receiver.respond = () => ({ status: 410 });
    owncast.goLive('One', new Date(t.time.now()));
    await t.onair.poll.checkNow('alice');
    await t.onair.delivery.settle();
    await runFor(60 * SEC);
    expect(receiver.requests).toHaveLength(1);
    const failed = (await t.api('GET', '/api/v1/targets/ops/deliveries?status=failed')).json as {
      lastError: string;
    }[];
    expect(failed[0]?.lastError).toContain('410');
  });

  it('sends what was queued before a restart', async () => {
    receiver.respond = () => ({ status: 503 });
    owncast.goLive('One', new Date(t.time.now()));
    await t.onair.poll.checkNow('alice');
    await t.onair.delivery.settle();
    await t.stop();
    receiver.respond = () => ({ status: 204 });
    t = await startTestOnair(
      {
        policy: { reconnectGrace: '0s' },
        targets: [{ id: 'ops', type: 'webhook', url: receiver.url }],
        channels: [{ id: 'alice', platform: 'owncast', url: owncast.url, notify: ['ops'] }],
      },
      { dir: t.dir, time: t.time },
    );
    await runFor(10 * SEC);
    expect(receiver.events).toEqual(['live:One']);
  });
});
