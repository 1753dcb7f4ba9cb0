import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeDiscord } from '../fake-servers/discord.server.js';
import { FakeMatrix } from '../fake-servers/matrix.server.js';
import { FakeNtfy } from '../fake-servers/ntfy.server.js';
import { FakeOwncast } from '../fake-servers/owncast.server.js';
import { FakeTelegram } from '../fake-servers/telegram.server.js';
import { removeDir, startTestOnair, type TestOnair } from './harness.js';

const SEC = 1_000;
const MIN = 60 * SEC;

interface Provider {
  readonly name: string;
  start(): Promise<{ target: Record<string, unknown>; shown(): string[]; close(): Promise<void> }>;
}

/** Each provider's fake, the target config pointing at it, and what a person would see there now. */
const PROVIDERS: readonly Provider[] = [
  {
    name: 'discord',
    async start() {
      const fake = await FakeDiscord.start();
      return {
        target: { type: 'discord', url: fake.webhookUrl },
        shown: () => fake.messages.map((m) => m.embeds[0]?.title ?? ''),
        close: () => fake.close(),
      };
    },
  },
  {
    name: 'matrix',
    async start() {
      const fake = await FakeMatrix.start();
      const url = new URL(fake.url);
      return {
        target: { url: `matrix://${fake.accessToken}@${url.host}/${fake.roomId}` },
        shown: () => fake.timeline(),
        close: () => fake.close(),
      };
    },
  },
  {
    name: 'ntfy',
    async start() {
      const fake = await FakeNtfy.start();
      return {
        target: { url: `ntfy://${new URL(fake.url).host}/alerts` },
        shown: () => fake.shown('alerts').map((n) => n.title),
        close: () => fake.close(),
      };
    },
  },
  {
    name: 'telegram',
    async start() {
      const fake = await FakeTelegram.start();
      return {
        target: {
          type: 'telegram',
          botToken: fake.botToken,
          chatId: fake.chatId,
          apiUrl: fake.url,
        },
        shown: () => [...fake.chat.values()],
        close: () => fake.close(),
      };
    },
  },
];

describe.each(PROVIDERS)('offline edit and delete end to end: $name', (provider) => {
  let owncast: FakeOwncast;
  let peer: Awaited<ReturnType<Provider['start']>>;
  let t: TestOnair | undefined;

  beforeEach(async () => {
    owncast = await FakeOwncast.start();
    peer = await provider.start();
  });
  afterEach(async () => {
    if (t) {
      await t.stop();
      removeDir(t.dir);
      t = undefined;
    }
    await owncast.close();
    await peer.close();
  });

  async function session(
    onOffline: 'edit' | 'delete',
  ): Promise<{ whileLive: string[]; after: string[] }> {
    t = await startTestOnair({
      policy: { reconnectGrace: '0s' },
      targets: [{ id: 'out', ...peer.target }],
      channels: [
        {
          id: 'alice',
          name: 'Alice',
          platform: 'owncast',
          url: owncast.url,
          notify: [{ target: 'out', events: ['live'], onOffline }],
        },
      ],
    });
    owncast.goOffline();
    await t.onair.poll.checkNow('alice');
    owncast.goLive('Speedrun', new Date(t.time.now()));
    await t.onair.poll.checkNow('alice');
    await t.onair.delivery.settle();
    const whileLive = peer.shown();
    t.time.set(t.time.now() + 90 * MIN);
    owncast.goOffline();
    await t.onair.poll.checkNow('alice');
    await t.onair.delivery.settle();
    return { whileLive, after: peer.shown() };
  }

  it('edits the live message when the stream ends', async () => {
    const { whileLive, after } = await session('edit');
    expect(whileLive).toHaveLength(1);
    expect(whileLive[0]).toMatch(/Alice/);
    expect(whileLive[0]).toMatch(/live/);
    expect(after).toHaveLength(1);
    expect(after[0]).toMatch(/offline|was live/);
    expect(after[0]).not.toBe(whileLive[0]);
  });

  it('deletes the live message when the stream ends', async () => {
    const { whileLive, after } = await session('delete');
    expect(whileLive).toHaveLength(1);
    expect(after).toEqual([]);
    const sent = (await t!.api('GET', '/api/v1/targets/out/deliveries?status=sent'))
      .json as unknown[];
    expect(sent).toHaveLength(2);
  });
});

describe('a target that is down for several minutes', () => {
  let owncast: FakeOwncast;
  let ntfy: FakeNtfy;
  let t: TestOnair;

  beforeEach(async () => {
    owncast = await FakeOwncast.start();
    ntfy = await FakeNtfy.start();
    t = await startTestOnair({
      policy: { reconnectGrace: '0s' },
      delivery: { backoffBase: '1s', backoffMax: '1m' },
      targets: [{ id: 'phone', url: `ntfy://${new URL(ntfy.url).host}/alerts` }],
      channels: [
        {
          id: 'alice',
          name: 'Alice',
          platform: 'owncast',
          url: owncast.url,
          notify: [{ target: 'phone', events: ['live', 'title', 'offline'] }],
        },
      ],
    });
    owncast.goOffline();
    await t.onair.poll.checkNow('alice');
  });
  afterEach(async () => {
    await t.stop();
    await owncast.close();
    await ntfy.close();
    removeDir(t.dir);
  });

  async function runFor(ms: number): Promise<void> {
    for (let elapsed = 0; elapsed < ms; elapsed += SEC) {
      t.time.set(t.time.now() + SEC);
      await t.onair.delivery.settle();
    }
  }

  it('gets every queued message once it is back, in order, without duplicates; the API shows the retries', async () => {
    const backAt = t.time.now() + 5 * MIN;
    let refused = 0;
    ntfy.intercept = () => {
      if (t.time.now() >= backAt) return undefined;
      refused++;
      return { status: 503, body: { code: 50301, http: 503, error: 'service unavailable' } };
    };
    owncast.goLive('One', new Date(t.time.now()));
    await t.onair.poll.checkNow('alice');
    owncast.setTitle('Two');
    await t.onair.poll.checkNow('alice');
    owncast.goOffline();
    await t.onair.poll.checkNow('alice');

    await runFor(3 * MIN);
    expect(ntfy.shown('alerts')).toEqual([]);
    const pending = (await t.api('GET', '/api/v1/targets/phone/deliveries?status=pending'))
      .json as { attempts: number; lastError: string | null }[];
    expect(pending).toHaveLength(3);
    expect(pending.some((d) => d.attempts >= 3 && d.lastError?.includes('503') === true)).toBe(
      true,
    );
    // Order: while the live notice was failing, nothing else of this channel went out.
    expect(
      ntfy.requests.every((r) => (r.body as { title: string }).title.endsWith('is live')),
    ).toBe(true);

    await runFor(4 * MIN);
    // Exactly one accepted request per event, in the order they happened.
    const accepted = ntfy.requests
      .slice(refused)
      .map((r) => r.body as { title: string; message: string });
    expect(accepted.map((a) => a.title)).toEqual([
      'Alice is live',
      'Alice has a new title',
      'Alice is offline',
    ]);
    expect(accepted.map((a) => a.message.split('\n')[0])).toEqual(['One', 'Two', 'Was live: Two']);
    expect(ntfy.shown('alerts')).toHaveLength(3);
    expect((await t.api('GET', '/api/v1/targets/phone/deliveries?status=pending')).json).toEqual(
      [],
    );
  });

  it('a per-target rate limit spaces the sends without counting attempts', async () => {
    await t.api('PATCH', '/api/v1/targets/phone', { rateLimit: '1/10s' });
    owncast.goLive('One', new Date(t.time.now()));
    await t.onair.poll.checkNow('alice');
    owncast.setTitle('Two');
    await t.onair.poll.checkNow('alice');
    await t.onair.delivery.settle();
    expect(ntfy.shown('alerts')).toHaveLength(1);
    await runFor(5 * SEC);
    expect(ntfy.shown('alerts')).toHaveLength(1);
    await runFor(6 * SEC);
    expect(ntfy.shown('alerts')).toHaveLength(2);
    const sent = (await t.api('GET', '/api/v1/targets/phone/deliveries?status=sent')).json as {
      attempts: number;
    }[];
    expect(sent.map((d) => d.attempts)).toEqual([1, 1]);
  });

  it('answers a test message with the provider outcome', async () => {
    const ok = await t.api('POST', '/api/v1/targets/phone/test');
    expect(ok.json).toMatchObject({
      ok: true,
      messageId: expect.stringMatching(/^test-/) as unknown,
    });
    ntfy.failNext({ status: 403, body: { code: 40301, http: 403, error: 'forbidden' } });
    const failed = await t.api('POST', '/api/v1/targets/phone/test');
    expect(failed.json).toMatchObject({
      ok: false,
      retryable: false,
      error: expect.stringContaining('403') as unknown,
    });
  });
});
