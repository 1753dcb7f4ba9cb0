import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeOwncast } from '../fake-servers/owncast.server.js';
import { WebhookReceiver } from '../fake-servers/webhook-receiver.server.js';
import { removeDir, startTestOnair, type TestOnair } from './harness.js';

const MIN = 60_000;
const SECRET = 'hook-secret-123';

/**
 * The sentinel end to end: a fake Owncast driven through the script, the real decision,
 * SQLite store and outbox, and a real webhook receiver that must get exactly the right messages.
 */
describe('sentinel end to end', () => {
  let owncast: FakeOwncast;
  let receiver: WebhookReceiver;
  let t: TestOnair;
  const dirs: string[] = [];

  const config = () => ({
    policy: { reconnectGrace: '10m', notifyCooldown: '0s' },
    poll: { timeout: '500ms' },
    targets: [{ id: 'ops', type: 'webhook', url: receiver.url, secret: SECRET }],
    channels: [
      {
        id: 'alice',
        platform: 'owncast',
        url: `${owncast.url}/alice`,
        notify: [{ target: 'ops', events: ['live', 'title', 'offline'] }],
      },
    ],
  });

  /** One poll at `minutes` after the start, then deliver whatever it queued. */
  async function pollAt(minutes: number): Promise<void> {
    t.time.set(start + minutes * MIN);
    await t.onair.poll.checkNow('alice');
    await t.onair.delivery.settle();
  }
  let start = 0;
  const logged: string[] = [];
  const logSink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line !== '') logged.push((JSON.parse(line) as { msg: string }).msg);
      done();
    },
  });

  beforeAll(async () => {
    owncast = await FakeOwncast.start();
    receiver = await WebhookReceiver.start();
    t = await startTestOnair(config(), { logger: pino({ level: 'info' }, logSink) });
    dirs.push(t.dir);
    start = t.time.now();
  });
  afterAll(async () => {
    await t.stop();
    await owncast.close();
    await receiver.close();
    dirs.forEach(removeDir);
  });

  it('says nothing about a channel that is offline at first sight', async () => {
    owncast.goOffline('/alice');
    await pollAt(0);
    expect(receiver.events).toEqual([]);
  });

  it('announces the go-live once, signed, with the contract body and headers', async () => {
    owncast.goLive('Night build', new Date(start + MIN), '/alice');
    Object.assign(owncast.state('/alice'), { name: 'Alice TV', tags: ['music'] });
    await pollAt(1);
    await pollAt(2);
    expect(receiver.events).toEqual(['live:Night build']);
    const [hit] = receiver.accepted;
    expect(receiver.verify(hit!, SECRET)).toBe(true);
    expect(receiver.verify(hit!, 'wrong-secret')).toBe(false);
    expect(hit!.headers['content-type']).toBe('application/json');
    expect(hit!.headers['x-onair-event']).toBe('live');
    expect(hit!.headers['x-onair-delivery']).toBe(hit!.body.id);
    expect(hit!.body).toEqual({
      id: hit!.body.id,
      event: 'live',
      channel: { id: 'alice', platform: 'owncast', url: `${owncast.url}/alice`, name: 'Alice TV' },
      title: 'Night build',
      tags: ['music'],
      startedAt: new Date(start + MIN).toISOString(),
      at: new Date(start + MIN).toISOString(),
    });
  });

  it('stays silent through a short drop with the same title', async () => {
    owncast.goOffline('/alice');
    await pollAt(3);
    owncast.goLive('Night build', new Date(start + 5 * MIN), '/alice');
    await pollAt(5);
    expect(receiver.events).toEqual(['live:Night build']);
  });

  it('announces only the title after a short drop with a new title', async () => {
    owncast.goOffline('/alice');
    await pollAt(6);
    owncast.goLive('Night build, part 2', new Date(start + 8 * MIN), '/alice');
    await pollAt(8);
    expect(receiver.events).toEqual(['live:Night build', 'title:Night build, part 2']);
  });

  it('announces offline after the grace and live again after a long drop', async () => {
    owncast.goOffline('/alice');
    await pollAt(9);
    await pollAt(20);
    owncast.goLive('Morning show', new Date(start + 40 * MIN), '/alice');
    await pollAt(40);
    expect(receiver.events.slice(2)).toEqual(['offline:Night build, part 2', 'live:Morning show']);
  });

  it('announces a mid-stream title change', async () => {
    owncast.setTitle('Morning show: Q&A', '/alice');
    await pollAt(41);
    expect(receiver.events.slice(4)).toEqual(['title:Morning show: Q&A']);
  });

  it('says nothing through a burst of 500s, timeouts and garbage', async () => {
    for (const [i, fault] of (
      ['error500', 'hang', 'garbage', 'reset', 'error500'] as const
    ).entries()) {
      owncast.fault = fault;
      await pollAt(42 + i);
    }
    const channel = (await t.api('GET', '/api/v1/channels/alice')).json as Record<string, unknown>;
    expect(channel).toMatchObject({
      status: 'unreachable',
      title: 'Morning show: Q&A',
      consecutiveFailures: 5,
    });
    // One line when it became unreachable and one when it answered again, not one per probe.
    expect(logged.filter((msg) => msg === 'channel unreachable')).toHaveLength(1);
    expect(logged).not.toContain('channel reachable again');
    owncast.fault = null;
    await pollAt(50);
    expect(logged.filter((msg) => msg === 'channel reachable again')).toHaveLength(1);
    expect(receiver.events).toHaveLength(5);
    expect(
      ((await t.api('GET', '/api/v1/channels/alice')).json as Record<string, unknown>)['status'],
    ).toBe('live');
  });

  it('says nothing after a restart while live', async () => {
    await t.stop();
    t = await startTestOnair(config(), { dir: t.dir, time: t.time });
    await pollAt(51);
    await pollAt(52);
    expect(receiver.events).toHaveLength(5);
    const history = (await t.api('GET', '/api/v1/events?channel=alice&limit=100')).json as {
      event: string;
      suppressed?: string;
    }[];
    expect(history.filter((e) => e.suppressed === undefined).map((e) => e.event)).toEqual([
      'title',
      'live',
      'offline',
      'title',
      'live',
    ]);
    expect(history.filter((e) => e.suppressed !== undefined).map((e) => e.suppressed)).toEqual([
      'reconnectGrace',
    ]);
  });

  it('delivered every event exactly once, by id', () => {
    const ids = receiver.accepted.map((r) => r.body.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
