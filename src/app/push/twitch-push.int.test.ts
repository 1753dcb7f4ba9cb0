import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import { FakeTwitchAuth } from '../../../test/fake-servers/twitch-auth.server.js';
import { FakeEventSub } from '../../../test/fake-servers/twitch-eventsub.server.js';
import { FakeHelix } from '../../../test/fake-servers/twitch-helix.server.js';
import { WebhookReceiver } from '../../../test/fake-servers/webhook-receiver.server.js';
import { removeDir, startTestOnair, type TestOnair } from '../../../test/e2e/harness.js';
import { ManualTime } from '../../../test/fakes/manual-time.js';

/**
 * Twitch push end to end: the real app on a manual clock, a scripted EventSub server, fake OAuth
 * and Helix, and a webhook receiver that must get exactly the right notifications.
 */
describe('Twitch EventSub push', () => {
  let auth: FakeTwitchAuth;
  let eventsub: FakeEventSub;
  let helix: FakeHelix;
  let receiver: WebhookReceiver;
  let t: TestOnair | null = null;
  let time: ManualTime;
  const dirs: string[] = [];
  const START = '2026-01-01T00:00:30Z';

  beforeAll(async () => {
    auth = await FakeTwitchAuth.start();
    eventsub = await FakeEventSub.start();
    helix = await FakeHelix.start(auth, eventsub);
    receiver = await WebhookReceiver.start();
  });
  afterAll(async () => {
    await helix.close();
    await auth.close();
    await eventsub.shutdown();
    await receiver.close();
    dirs.forEach(removeDir);
  });
  afterEach(async () => {
    await t?.stop();
    t = null;
    eventsub.dropAll();
    helix.subscribeAnswer = null;
  });

  /** Starts onair with Twitch channels for these logins; waits until subscribed and reconciled. */
  async function start(logins: string[], subscriptions: number): Promise<TestOnair> {
    eventsub.sessions.length = 0;
    receiver.requests.length = 0;
    helix.users.clear();
    logins.forEach((l, i) => helix.addUser(l, String(1000 + i), `${l} stream`));
    time = new ManualTime();
    eventsub.now = () => time.now();
    t = await startTestOnair(
      {
        policy: { reconnectGrace: '0s', notifyCooldown: '0s' },
        poll: { interval: '1h', timeout: '1s' },
        twitch: {
          clientId: auth.clientId,
          clientSecret: auth.clientSecret,
          userToken: helix.userToken,
          apiBase: helix.url,
          authBase: auth.url,
          eventsubUrl: eventsub.url,
        },
        targets: [{ id: 'hook', type: 'webhook', url: receiver.url }],
        channels: logins.map((l) => ({
          id: l,
          platform: 'twitch',
          url: `https://twitch.tv/${l}`,
          notify: [{ target: 'hook', events: ['live', 'title', 'offline'] }],
        })),
      },
      { time },
    );
    dirs.push(t.dir);
    if (subscriptions > 0)
      await eventsub.until(
        () =>
          eventsub.sessions.length > 0 && eventsub.current.subscriptions.length === subscriptions,
      );
    await idle();
    return t;
  }

  /** Lets push work, the sentinel and the outbox finish. */
  async function idle(): Promise<void> {
    await new Promise((r) => setTimeout(r, 20));
    await t!.onair.twitchPush!.whenIdle();
    await t!.onair.poll.whenIdle();
    await t!.onair.delivery.settle();
  }

  /** Waits for `n` notifications at the receiver, then for everything to settle. */
  async function delivered(n: number): Promise<string[]> {
    await eventsub.until(() => receiver.requests.length >= n);
    await idle();
    return receiver.events;
  }

  const push = (id: string) => t!.onair.poll.pushStatus(id);
  const session = () => eventsub.current;

  it('subscribes after the welcome within the budget, reconciles once, then announces pushed transitions', async () => {
    await start(['alice', 'bob'], 6);
    expect(
      session()
        .subscriptions.map((s) => `${s.type}/${s.broadcasterId}`)
        .sort(),
    ).toEqual([
      'channel.update/1000',
      'channel.update/1001',
      'stream.offline/1000',
      'stream.offline/1001',
      'stream.online/1000',
      'stream.online/1001',
    ]);
    expect(helix.streamsRequests.at(-1)?.sort()).toEqual(['alice', 'bob']);
    expect(push('alice')).toEqual({ mode: 'push', reason: null });
    expect(receiver.events).toEqual([]);

    eventsub.online('1000', 'alice', START);
    expect(await delivered(1)).toEqual(['live:alice stream']);
    eventsub.notify('channel.update', '1000', { title: 'New title', category_name: 'Chess' });
    expect(await delivered(2)).toEqual(['live:alice stream', 'title:New title']);
    eventsub.offline('1000', 'alice');
    expect(await delivered(3)).toEqual([
      'live:alice stream',
      'title:New title',
      'offline:New title',
    ]);
    expect(session().inbound).toEqual([]);
  });

  it('fits channels into max_total_cost 10; the rest are polled and the API says why', async () => {
    await start(['a1', 'a2', 'a3', 'a4', 'a5', 'a6'], 10);
    expect(push('a5')).toEqual({ mode: 'push', reason: null });
    expect(push('a6')?.mode).toBe('poll');
    const view = await t!.api('GET', '/api/v1/channels/a6');
    expect((view.json as { push: { reason: string } }).push.reason).toMatch(
      /cost budget \(max_total_cost 10\)/,
    );
  });

  it('drops a duplicate message id, also when replayed later', async () => {
    await start(['alice'], 3);
    const id = eventsub.online('1000', 'alice', START);
    expect(await delivered(1)).toEqual(['live:alice stream']);
    const infoCalls = helix.channelsRequests;
    eventsub.offline('1000', 'alice');
    expect(await delivered(2)).toEqual(['live:alice stream', 'offline:alice stream']);
    // Replayed after the offline, the old go-live would reopen the session if it were not dropped.
    eventsub.online('1000', 'alice', '2026-01-01T00:00:40Z', { messageId: id });
    eventsub.notify('channel.update', '1000', { title: 'marker', category_name: 'x' });
    await idle();
    await new Promise((r) => setTimeout(r, 50));
    await idle();
    expect(helix.channelsRequests).toBe(infoCalls);
    expect(receiver.events).toEqual(['live:alice stream', 'offline:alice stream']);
    // Negative twin: the same content under a new id is a new go-live.
    eventsub.online('1000', 'alice', '2026-01-01T00:00:40Z');
    expect(await delivered(3)).toEqual([
      'live:alice stream',
      'offline:alice stream',
      'live:alice stream',
    ]);
  });

  it('ignores a message older than 10 minutes, and takes one 9 minutes old', async () => {
    await start(['alice'], 3);
    eventsub.online('1000', 'alice', START, { ageMs: 10 * 60_000 + 1_000 });
    await new Promise((r) => setTimeout(r, 50));
    await idle();
    expect(receiver.events).toEqual([]);
    eventsub.online('1000', 'alice', START, { ageMs: 9 * 60_000 });
    expect(await delivered(1)).toEqual(['live:alice stream']);
  });

  it('reconnects and resubscribes after keepalive silence, and announces what happened meanwhile once', async () => {
    await start(['alice'], 3);
    // Keepalives within the timeout keep the session.
    for (let i = 0; i < 3; i++) {
      await time.advance(8_000);
      eventsub.keepalive();
      await new Promise((r) => setTimeout(r, 30));
    }
    expect(eventsub.sessions.length).toBe(1);
    // Silence past keepalive_timeout_seconds (10 s) plus slack: a fresh session.
    helix.users.get('alice')!.liveSince = START;
    await time.advance(12_001);
    await eventsub.until(
      () => eventsub.sessions.length === 2 && session().subscriptions.length === 3,
    );
    expect(eventsub.sessions[0]!.closedWith).not.toBeNull();
    expect(await delivered(1)).toEqual(['live:alice stream']);
    // The go-live pushed late for the same stream is the same transition: not announced again.
    eventsub.online('1000', 'alice', START);
    eventsub.notify('channel.update', '1000', {
      title: 'alice stream',
      category_name: 'Just Chatting',
    });
    await new Promise((r) => setTimeout(r, 50));
    await idle();
    expect(receiver.events).toEqual(['live:alice stream']);
    expect(push('alice')).toEqual({ mode: 'push', reason: null });
  });

  it('on session_reconnect reads the old socket until the new welcome, then closes it; nothing lost, doubled or resubscribed', async () => {
    await start(['alice'], 3);
    const old = session();
    const subscribes = helix.subscribeRequests;
    eventsub.reconnect(old);
    const a = eventsub.online('1000', 'alice', START, { session: old });
    await eventsub.until(() => eventsub.sessions.length === 2 && old.closedWith !== null);
    expect(old.closedWith).toBe(1000);
    const fresh = session();
    eventsub.offline('1000', 'alice', { session: fresh });
    expect(await delivered(2)).toEqual(['live:alice stream', 'offline:alice stream']);
    // Twitch may redeliver on the new socket what the old one sent: dropped, not a second go-live.
    const infoCalls = helix.channelsRequests;
    eventsub.online('1000', 'alice', START, { session: fresh, messageId: a });
    await new Promise((r) => setTimeout(r, 50));
    await idle();
    expect(helix.channelsRequests).toBe(infoCalls);
    expect(receiver.events).toEqual(['live:alice stream', 'offline:alice stream']);
    expect(helix.subscribeRequests).toBe(subscribes);
    expect(fresh.subscriptions.length).toBe(3);
    expect(push('alice')).toEqual({ mode: 'push', reason: null });
  });

  it('falls back to polling a revoked channel, says why, and keeps pushing the others', async () => {
    await start(['alice', 'bob'], 6);
    eventsub.revoke('stream.online', '1000', 'authorization_revoked');
    await eventsub.until(() => push('alice')?.mode === 'poll');
    const view = await t!.api('GET', '/api/v1/channels/alice');
    expect((view.json as { push: unknown }).push).toEqual({
      mode: 'poll',
      reason: expect.stringMatching(
        /revoked the stream.online subscription \(authorization_revoked\)/,
      ) as unknown,
    });
    expect(push('bob')).toEqual({ mode: 'push', reason: null });
    // Polling takes over at once for the revoked channel.
    helix.users.get('alice')!.liveSince = START;
    await time.advance(1);
    expect(await delivered(1)).toEqual(['live:alice stream']);
    eventsub.online('1001', 'bob', START);
    expect(await delivered(2)).toEqual(['live:alice stream', 'live:bob stream']);
  });

  it.each([4000, 4001, 4002, 4004, 4005, 4006, 4007])(
    'reconnects fresh and resubscribes after close code %i',
    async (code) => {
      await start(['alice'], 3);
      eventsub.close(code);
      await eventsub.until(() => push('alice')?.mode === 'poll');
      expect(push('alice')?.reason).toContain(String(code));
      await time.advance(1);
      await eventsub.until(
        () => eventsub.sessions.length === 2 && session().subscriptions.length === 3,
      );
      await idle();
      expect(push('alice')).toEqual({ mode: 'push', reason: null });
      eventsub.online('1000', 'alice', START);
      expect(await delivered(1)).toEqual(['live:alice stream']);
    },
  );

  it('after 4003 (unused) reconnects; sessions that never get a subscription stop after three tries', async () => {
    await start(['alice'], 3);
    eventsub.close(4003);
    await eventsub.until(() => push('alice')?.mode === 'poll');
    await time.advance(1);
    await eventsub.until(
      () => eventsub.sessions.length === 2 && session().subscriptions.length === 3,
    );
    await idle();
    expect(push('alice')?.mode).toBe('push');
    // Now every subscription fails: empty sessions, backing off, then no more.
    helix.subscribeAnswer = 500;
    eventsub.close(4006);
    for (let i = 0; i < 10; i++) {
      await time.advance(2_000);
      await new Promise((r) => setTimeout(r, 30));
      await idle();
    }
    expect(eventsub.sessions.length).toBe(5);
    expect(push('alice')?.reason).toMatch(/gave up after 3 sessions without a subscription/);
  });

  it.each([
    [401, /HTTP 401.*renew twitch.userToken/],
    [403, /HTTP 403/],
  ])('reports a %i on subscribing clearly and stops trying', async (status, reason) => {
    helix.subscribeAnswer = status;
    await start(['alice'], 0);
    await eventsub.until(() => push('alice')?.reason?.includes(String(status)) === true);
    await time.advance(120_000);
    await idle();
    expect(eventsub.sessions.length).toBe(1);
    expect(push('alice')?.reason).toMatch(reason);
    expect(JSON.stringify((await t!.api('GET', '/api/v1/channels/alice')).json)).not.toContain(
      helix.userToken,
    );
  });

  it('without a user token polls every Twitch channel and says so', async () => {
    eventsub.sessions.length = 0;
    time = new ManualTime();
    t = await startTestOnair(
      {
        twitch: {
          clientId: auth.clientId,
          clientSecret: auth.clientSecret,
          apiBase: helix.url,
          authBase: auth.url,
          eventsubUrl: eventsub.url,
        },
        channels: [{ id: 'alice', platform: 'twitch', url: 'https://twitch.tv/alice' }],
      },
      { time },
    );
    dirs.push(t.dir);
    expect(push('alice')).toEqual({
      mode: 'poll',
      reason: expect.stringContaining('twitch.userToken') as unknown,
    });
    expect(eventsub.sessions.length).toBe(0);
  });
});
