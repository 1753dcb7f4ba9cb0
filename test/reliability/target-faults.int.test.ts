import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir, startTestOnair, type TestOnair } from '../e2e/harness.js';
import { FaultyReceiver, type ReceivedRequest } from '../fake-servers/faulty-receiver.server.js';
import { FakeOwncast } from '../fake-servers/owncast.server.js';
import { recordFigures } from './serve-process.js';
import { judge, type Delivered } from './verdict.js';

const SEC = 1_000;
const MIN = 60 * SEC;

interface ApiEvent {
  id: string;
  event: string;
  channel: { id: string };
  title: string | null;
  suppressed?: string;
}

const asDelivered = (r: ReceivedRequest): Delivered => ({
  deliveryId: r.deliveryId,
  channel: r.channel,
  event: r.event,
});

/**
 * Three misbehaving targets at once, on a manual clock: one down (port closed) for ten minutes,
 * one answering 429 with Retry-After, one that hangs. Two channels keep producing events meanwhile.
 */
describe('target faults: down for ten minutes, 429 with Retry-After, hanging', () => {
  let owncast: FakeOwncast;
  const receivers: Record<'down' | 'throttled' | 'hanging', FaultyReceiver> = {} as Record<
    'down' | 'throttled' | 'hanging',
    FaultyReceiver
  >;
  let t: TestOnair;

  beforeAll(async () => {
    owncast = await FakeOwncast.start();
    receivers.down = await FaultyReceiver.start();
    receivers.throttled = await FaultyReceiver.start();
    receivers.hanging = await FaultyReceiver.start();
    const notify = ['down', 'throttled', 'hanging'].map((target) => ({
      target,
      events: ['live', 'title', 'offline'],
    }));
    t = await startTestOnair({
      policy: { reconnectGrace: '0s' },
      delivery: { timeout: '1s', backoffBase: '1s', backoffMax: '1m' },
      targets: Object.entries(receivers).map(([id, r]) => ({ id, type: 'webhook', url: r.url })),
      channels: ['alice', 'bob'].map((id) => ({
        id,
        platform: 'owncast',
        url: `${owncast.url}/${id}`,
        notify,
      })),
    });
  });
  afterAll(async () => {
    await t.stop();
    await owncast.close();
    for (const r of Object.values(receivers)) await r.close();
    removeDir(t.dir);
  });

  /** Steps the manual clock, letting the worker send what falls due (a hang costs 1 s of real time). */
  async function runFor(ms: number, step = 5 * SEC): Promise<void> {
    for (let elapsed = 0; elapsed < ms; elapsed += step) {
      t.time.set(t.time.now() + step);
      await t.onair.delivery.settle();
    }
  }

  async function observe(): Promise<void> {
    await t.onair.poll.checkNow('alice');
    await t.onair.poll.checkNow('bob');
  }

  it('delivers every message afterwards, once, in order per channel', async () => {
    const start = t.time.now();
    await receivers.down.down();
    const throttledAt: number[] = [];
    receivers.throttled.answer = () => {
      throttledAt.push(t.time.now());
      return throttledAt.length <= 3
        ? { kind: 'answer', status: 429, headers: { 'retry-after': '120' } }
        : { kind: 'answer', status: 204 };
    };
    let hung = 0;
    receivers.hanging.answer = () =>
      hung++ < 4 ? { kind: 'hang' } : { kind: 'answer', status: 204 };
    await observe(); // first sight: offline, nothing announced

    // Ten minutes of activity while `down` refuses connections.
    for (let minute = 0; minute < 10; minute++) {
      const session = new Date(start + minute * MIN);
      for (const c of ['alice', 'bob']) {
        if (minute % 3 === 0) owncast.goLive(`${c} ${minute}`, session, `/${c}`);
        else if (minute % 3 === 1) owncast.setTitle(`${c} ${minute} retitled`, `/${c}`);
        else owncast.goOffline(`/${c}`);
      }
      await observe();
      await runFor(MIN);
    }
    expect(receivers.down.requests).toEqual([]);
    const pendingWhileDown = (await t.api('GET', '/api/v1/targets/down/deliveries?status=pending'))
      .json as { attempts: number; lastError: string | null }[];
    expect(pendingWhileDown.length).toBeGreaterThan(0);
    // Only each channel's oldest is tried (order); the rest wait untried.
    expect(
      pendingWhileDown.filter(
        (d) => d.lastError?.includes('ECONNREFUSED') === true && d.attempts > 5,
      ),
    ).toHaveLength(2);

    await receivers.down.up();
    await runFor(5 * MIN);

    const history = (
      (await t.api('GET', '/api/v1/events?limit=1000')).json as ApiEvent[]
    ).reverse();
    const expected: Delivered[] = history
      .filter((e) => e.suppressed === undefined)
      .map((e) => ({ deliveryId: e.id, channel: e.channel.id, event: e.event }));
    const figures: Record<string, unknown> = { announced: expected.length };
    for (const [name, receiver] of Object.entries(receivers)) {
      const verdict = judge(expected, receiver.accepted.map(asDelivered));
      figures[name] = {
        requests: receiver.requests.length,
        accepted: receiver.accepted.length,
        lost: verdict.lost.length,
        doubled: verdict.duplicates,
        outOfOrder: verdict.outOfOrder.length,
        redeliveredIds: Object.keys(judge(expected, receiver.requests.map(asDelivered)).doubled)
          .length,
      };
      expect(verdict, name).toEqual({
        lost: [],
        doubled: {},
        duplicates: 0,
        unexpected: [],
        outOfOrder: [],
      });
      expect(
        (await t.api('GET', `/api/v1/targets/${name}/deliveries?status=pending`)).json,
        name,
      ).toEqual([]);
    }
    recordFigures('target-faults', figures);
    expect(expected.length).toBeGreaterThanOrEqual(12);
    // The throttled target was paused for Retry-After each time: after a 429, nothing reached it
    // for two minutes (a request sent in the same batch as the 429 may arrive at the same instant).
    const inPause = throttledAt
      .slice(0, 3)
      .flatMap((refusedAt) =>
        throttledAt.filter((at) => at > refusedAt && at < refusedAt + 120 * SEC),
      );
    expect(inPause).toEqual([]);
    expect(throttledAt.length).toBeGreaterThan(3);
    // The hanging target saw its first message four times unanswered, then once answered.
    expect(receivers.hanging.requests.slice(0, 5).map((r) => r.status)).toEqual([
      null,
      null,
      null,
      null,
      204,
    ]);
  }, 120_000);
});
