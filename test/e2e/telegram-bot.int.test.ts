import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TelegramBot } from '../../src/adapters/bots/telegram/telegram.bot.js';
import { FakeBotApi } from '../fake-servers/telegram.server.js';
import { FakeOwncast } from '../fake-servers/owncast.server.js';
import { removeDir, startTestOnair, type TestOnair } from './harness.js';

const GROUP = -100777;
const ADMIN = 11;
const MEMBER = 22;
const WAIT = { timeout: 20_000, interval: 20 };

/** The whole app with the Telegram bot against a fake Bot API, driving a channel live through a fake Owncast. */
describe('Telegram bot', () => {
  let api: FakeBotApi;
  let owncast: FakeOwncast;
  let t: TestOnair;

  async function boot(options: { dir?: string; allowNewChannels?: boolean } = {}): Promise<void> {
    t = await startTestOnair(
      {
        policy: { reconnectGrace: '0s' },
        channels: [{ id: 'alice', platform: 'owncast', url: owncast.url, name: 'Alice' }],
        bots: {
          telegram: {
            botToken: api.botToken,
            apiUrl: api.url,
            allowNewChannels: options.allowNewChannels ?? false,
          },
        },
      },
      options.dir === undefined ? {} : { dir: options.dir },
    );
  }

  /** Writes into a chat and waits for the bot's `n`-th message there. */
  async function ask(chat: number, user: number, text: string, n: number): Promise<string> {
    api.say(chat, user, text);
    await vi.waitFor(() => {
      expect(api.posted.get(chat)?.length ?? 0).toBeGreaterThanOrEqual(n);
    }, WAIT);
    return api.posted.get(chat)![n - 1]!;
  }

  async function deliver(): Promise<void> {
    for (let i = 0; i < 3; i++) {
      t.time.set(t.time.now() + 1_000);
      await t.onair.delivery.settle();
    }
  }

  beforeEach(async () => {
    api = await FakeBotApi.start();
    api.addChat(GROUP, 'supergroup', [ADMIN]);
    owncast = await FakeOwncast.start();
    owncast.goOffline();
    await boot();
    await t.onair.poll.checkNow('alice');
  });
  afterEach(async () => {
    await t.stop();
    await owncast.close();
    await api.close();
    removeDir(t.dir);
  });

  it('subscribes a group for an administrator; the group gets the live notice once', async () => {
    expect(await ask(GROUP, MEMBER, '/subscribe alice', 1)).toMatch(/Only room moderators/);
    expect(await ask(GROUP, ADMIN, `/subscribe@${api.username} alice`, 2)).toMatch(
      /^Subscribed: this chat gets live, title notices for Alice \(alice\)/,
    );
    // A command for another bot in the group is not ours.
    api.say(GROUP, ADMIN, '/list@some_other_bot');
    const targetId = TelegramBot.targetIdFor(GROUP);
    const target = await t.onair.store.getTarget(targetId);
    expect(target).toMatchObject({
      type: 'telegram',
      source: 'bot',
      options: { chatId: String(GROUP), apiUrl: api.url },
    });

    owncast.goLive('Hello world', new Date(t.time.now()));
    await t.onair.poll.checkNow('alice');
    await vi.waitFor(async () => {
      await deliver();
      expect(api.posted.get(GROUP)!.filter((m) => m.includes('is live'))).toHaveLength(1);
    }, WAIT);
    await deliver();
    expect(api.posted.get(GROUP)!.filter((m) => m.includes('is live'))).toEqual([
      expect.stringContaining('Alice is live: Hello world'),
    ]);

    expect(await ask(GROUP, MEMBER, '/live', 4)).toMatch(/^Live now:\n• Alice: Hello world http/);
    expect(await ask(GROUP, MEMBER, '/list', 5)).toMatch(
      /^This chat's subscriptions:\n• Alice \(alice\) \(live, title\)/,
    );
    expect(await ask(GROUP, MEMBER, '/unsubscribe alice', 6)).toMatch(/Only room moderators/);
    expect(await ask(GROUP, ADMIN, '/unsubscribe alice', 7)).toBe(
      'Unsubscribed: no more notices for Alice (alice) here.',
    );
    expect(await t.onair.store.listSubscriptions('alice')).toEqual([]);
    expect(await ask(GROUP, MEMBER, '/help', 8)).toMatch(/^onair tells this chat/);
    // The other bot's command got no answer.
    expect(api.posted.get(GROUP)).toHaveLength(8);
  });

  it('lets anyone manage a private chat; a URL becomes a channel only when allowed', async () => {
    api.addChat(MEMBER, 'private');
    expect(await ask(MEMBER, MEMBER, `/subscribe ${owncast.url}/`, 1)).toMatch(
      /^Subscribed: .*Alice \(alice\)/,
    );
    expect(await ask(MEMBER, MEMBER, '/subscribe https://elsewhere.example/', 2)).toMatch(
      /may not add channels/,
    );
    expect((await t.onair.store.listChannels()).map((c) => c.id)).toEqual(['alice']);
  });

  it('runs no command twice across a restart, and runs what was written while it was down', async () => {
    expect(await ask(GROUP, ADMIN, '/subscribe alice', 1)).toMatch(/^Subscribed/);
    await t.stop();
    const whileDown = api.say(GROUP, MEMBER, '/list');
    const before = api.requests.length;
    await boot({ dir: t.dir });
    await vi.waitFor(() => {
      expect(api.posted.get(GROUP)).toHaveLength(2);
    }, WAIT);
    // One more round trip, so a repeat would have had its chance: the bot confirmed a later
    // update (a poll whose offset is past it), whether or not a poll was in flight just now.
    const hello = api.say(GROUP, MEMBER, 'hello');
    await vi.waitFor(() => {
      expect(
        api.requests.some((r) => r.method === 'getUpdates' && Number(r.body['offset']) > hello),
      ).toBe(true);
    }, WAIT);
    expect(api.posted.get(GROUP)!.map((m) => m.split('\n')[0])).toEqual([
      expect.stringMatching(/^Subscribed/),
      "This chat's subscriptions:",
    ]);
    expect(api.pending).toBe(0);
    // The stored offset went with the first poll after the restart.
    const firstPoll = api.requests.slice(before).find((r) => r.method === 'getUpdates');
    expect(firstPoll?.body['offset']).toBe(whileDown);
  });
});
