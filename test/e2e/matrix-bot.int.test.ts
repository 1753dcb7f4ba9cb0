import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MatrixBot } from '../../src/adapters/bots/matrix/matrix.bot.js';
import { FakeHomeserver } from '../fake-servers/matrix.server.js';
import { FakeOwncast } from '../fake-servers/owncast.server.js';
import { removeDir, startTestOnair, type TestOnair } from './harness.js';

const ROOM = '!team:fake.local';
const ADMIN = '@ann:fake.local';
const MEMBER = '@bob:fake.local';
const WAIT = { timeout: 20_000, interval: 20 };

/** The whole app with the Matrix bot against a fake homeserver, driving a channel live through a fake Owncast. */
describe('Matrix bot', () => {
  let hs: FakeHomeserver;
  let owncast: FakeOwncast;
  let t: TestOnair;

  const config = () => ({
    policy: { reconnectGrace: '0s' },
    channels: [{ id: 'alice', platform: 'owncast', url: owncast.url, name: 'Alice' }],
    bots: { matrix: { homeserver: hs.url, user: 'onair', password: hs.password } },
  });

  async function boot(dir?: string): Promise<void> {
    t = await startTestOnair(config(), dir === undefined ? {} : { dir });
    // The first sync only joins rooms: commands typed before the bot ever ran are history.
    await vi.waitFor(async () => {
      expect(await t.onair.store.getSetting('bot.matrix.since')).toBeDefined();
    }, WAIT);
  }

  /** Says something in the room and waits for the bot's `n`-th message there. */
  async function ask(sender: string, text: string, n: number): Promise<string> {
    hs.say(ROOM, sender, text);
    await vi.waitFor(() => {
      expect(hs.botMessages(ROOM).length).toBeGreaterThanOrEqual(n);
    }, WAIT);
    const reply = hs.botMessages(ROOM)[n - 1]!;
    expect(reply.msgtype).toBe('m.notice');
    return reply.body;
  }

  async function deliver(): Promise<void> {
    for (let i = 0; i < 3; i++) {
      t.time.set(t.time.now() + 1_000);
      await t.onair.delivery.settle();
    }
  }

  beforeEach(async () => {
    hs = await FakeHomeserver.start();
    owncast = await FakeOwncast.start();
    owncast.goOffline();
    await boot();
    await t.onair.poll.checkNow('alice');
    hs.invite(ROOM, { admin: ADMIN });
    await vi.waitFor(() => {
      expect(hs.isJoined(ROOM)).toBe(true);
    }, WAIT);
  });
  afterEach(async () => {
    await t.stop();
    await owncast.close();
    await hs.close();
    removeDir(t.dir);
  });

  it('subscribes a room for a member with power; the room gets the live notice once', async () => {
    expect(await ask(MEMBER, '!onair subscribe alice', 1)).toMatch(/Only room moderators/);
    expect(await ask(ADMIN, '!onair subscribe alice live,offline', 2)).toMatch(
      /^Subscribed: this chat gets live, offline notices for Alice \(alice\)/,
    );
    const targets = (await t.api('GET', '/api/v1/targets')).json as {
      id: string;
      type: string;
      source: string;
    }[];
    const targetId = MatrixBot.targetIdFor(ROOM);
    expect(targets).toContainEqual(
      expect.objectContaining({ id: targetId, type: 'matrix', source: 'bot' }),
    );
    const subs = await t.onair.store.listSubscriptions('alice');
    expect(subs).toEqual([expect.objectContaining({ targetId, events: ['live', 'offline'] })]);

    owncast.goLive('Hello world', new Date(t.time.now()));
    await t.onair.poll.checkNow('alice');
    await deliver();
    await vi.waitFor(() => {
      expect(hs.botMessages(ROOM).filter((m) => m.body.includes('is live'))).toHaveLength(1);
    }, WAIT);
    await deliver();
    const notices = hs.botMessages(ROOM).filter((m) => m.body.includes('is live'));
    expect(notices).toEqual([
      { msgtype: 'm.notice', body: expect.stringContaining('Alice is live: Hello world') },
    ]);

    expect(await ask(MEMBER, '!onair live', 4)).toMatch(/^Live now:\n• Alice: Hello world http/);
    expect(await ask(MEMBER, '!onair list', 5)).toMatch(
      /^This chat's subscriptions:\n• Alice \(alice\) \(live, offline\)/,
    );
    expect(await ask(MEMBER, '!onair unsubscribe alice', 6)).toMatch(/Only room moderators/);
    expect(await ask(ADMIN, '!onair unsubscribe alice', 7)).toBe(
      'Unsubscribed: no more notices for Alice (alice) here.',
    );
    expect(await t.onair.store.listSubscriptions('alice')).toEqual([]);
    expect(await t.onair.store.getTarget(targetId)).toBeUndefined();
    expect(await ask(MEMBER, '!onair list', 8)).toMatch(/no subscriptions/);
    expect(await ask(MEMBER, '!onair frobnicate', 9)).toMatch(/^Unknown command "frobnicate"/);
  });

  it('runs no command twice across a restart, and runs what was said while it was down', async () => {
    expect(await ask(ADMIN, '!onair subscribe alice', 1)).toMatch(/^Subscribed/);
    const logins = hs.loginCount;
    await t.stop();
    hs.say(ROOM, MEMBER, '!onair list');
    await boot(t.dir);
    await vi.waitFor(() => {
      expect(hs.botMessages(ROOM)).toHaveLength(2);
    }, WAIT);
    // Let the bot sync past a later message: nothing it already answered comes back. (Counting
    // syncs would depend on whether one was in flight when the message was said.)
    hs.say(ROOM, MEMBER, 'just chatting');
    const said = hs.position;
    await vi.waitFor(() => {
      expect(
        hs.requests.some(
          (r) => r.path.endsWith('/sync') && Number(r.query.get('since') ?? -1) >= said,
        ),
      ).toBe(true);
    }, WAIT);
    expect(hs.botMessages(ROOM).map((m) => m.body.split('\n')[0])).toEqual([
      expect.stringMatching(/^Subscribed/),
      "This chat's subscriptions:",
    ]);
    // The token from the first login was kept, and the config channel kept the room's subscription.
    expect(hs.loginCount).toBe(logins);
    expect((await t.onair.store.listSubscriptions('alice')).map((s) => s.targetId)).toEqual([
      MatrixBot.targetIdFor(ROOM),
    ]);
  });

  it('logs in again when the token dies, and the room target gets the new token', async () => {
    expect(await ask(ADMIN, '!onair subscribe alice', 1)).toMatch(/^Subscribed/);
    hs.expireTokens();
    const logins = hs.loginCount;
    // The held sync dies with its token once something happens; the bot pauses, then logs in.
    hs.say(ROOM, MEMBER, 'wake up');
    await vi.waitFor(async () => {
      await t.time.advance(2_000);
      expect(hs.loginCount).toBe(logins + 1);
    }, WAIT);
    expect(await ask(MEMBER, '!onair help', 2)).toMatch(/^onair tells this chat/);
    owncast.goLive('Back', new Date(t.time.now()));
    await t.onair.poll.checkNow('alice');
    await vi.waitFor(async () => {
      await deliver();
      expect(hs.botMessages(ROOM).some((m) => m.body.includes('Alice is live: Back'))).toBe(true);
    }, WAIT);
  });

  it('refuses an encrypted room with a clear reply and leaves it', async () => {
    hs.invite('!secret:fake.local', { admin: ADMIN, encrypted: true });
    await vi.waitFor(() => {
      expect(hs.botMessages('!secret:fake.local')).toHaveLength(1);
      expect(hs.isJoined('!secret:fake.local')).toBe(false);
    }, WAIT);
    expect(hs.botMessages('!secret:fake.local')[0]!.body).toMatch(/end-to-end encrypted/);
  });
});
