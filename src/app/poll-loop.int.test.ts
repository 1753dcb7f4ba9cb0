import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestOnair, removeDir, type TestOnair } from '../../test/e2e/harness.js';
import { FakeTwitchAuth } from '../../test/fake-servers/twitch-auth.server.js';
import { FakeEventSub } from '../../test/fake-servers/twitch-eventsub.server.js';
import { FakeHelix } from '../../test/fake-servers/twitch-helix.server.js';
import { ManualTime } from '../../test/fakes/manual-time.js';

/**
 * The one poll scheduler in the embedded mode, on a manual clock: Twitch channels are probed in
 * batches of 100 (Helix Get Streams takes up to 100 logins), a backward step of the wall clock does
 * not stop polling, and channels added or deleted through the API are scheduled or dropped at once.
 */
describe('poll scheduler', () => {
  let auth: FakeTwitchAuth;
  let eventsub: FakeEventSub;
  let helix: FakeHelix;
  let t: TestOnair | null = null;
  const CHANNELS = 250;
  const logins = Array.from({ length: CHANNELS }, (_, i) => `streamer${i}`);

  beforeAll(async () => {
    auth = await FakeTwitchAuth.start();
    eventsub = await FakeEventSub.start();
    helix = await FakeHelix.start(auth, eventsub);
    logins.forEach((l, i) => helix.addUser(l, String(1000 + i)));
  });
  afterEach(async () => {
    if (t) {
      await t.stop();
      removeDir(t.dir);
    }
    t = null;
  });
  afterAll(async () => {
    await helix.close();
    await auth.close();
    await eventsub.shutdown();
  });

  async function start(): Promise<TestOnair> {
    helix.streamsRequests.length = 0;
    // Each test gets a full Helix rate-limit bucket (the fake never refills it).
    helix.rateRemaining = 799;
    t = await startTestOnair(
      {
        poll: { interval: '60s', timeout: '5s' },
        // No user token: no EventSub, every channel is polled.
        twitch: {
          clientId: auth.clientId,
          clientSecret: auth.clientSecret,
          apiBase: helix.url,
          authBase: auth.url,
          eventsubUrl: eventsub.url,
        },
        channels: logins.map((l) => ({
          id: l,
          platform: 'twitch',
          url: `https://twitch.tv/${l}`,
        })),
      },
      { time: new ManualTime(), random: seeded(7) },
    );
    return t;
  }

  /** Advances the manual clock in steps, letting probes (real HTTP to the fake) finish between. */
  async function run(t: TestOnair, ms: number): Promise<void> {
    for (let done = 0; done < ms; done += 1_000) {
      await t.time.advance(1_000);
      await t.onair.poll.whenIdle();
    }
  }

  const probed = () => helix.streamsRequests.flat();

  it('250 Twitch channels cost at most 3 Helix Get Streams calls per round', async () => {
    const t = await start();
    await run(t, 10 * 60_000);
    const rounds = probed().length / CHANNELS;
    // Ten minutes at 60 s ±10 %: about ten rounds of every channel.
    expect(rounds).toBeGreaterThanOrEqual(9);
    expect(new Set(probed()).size).toBe(CHANNELS);
    expect(helix.streamsRequests.length).toBeLessThanOrEqual(3 * Math.ceil(rounds));
    expect(Math.max(...helix.streamsRequests.map((r) => r.length))).toBeLessThanOrEqual(100);
  }, 120_000);

  it('keeps polling after the wall clock steps back an hour', async () => {
    const t = await start();
    await run(t, 2 * 60_000);
    const before = probed().length;
    t.time.stepWall(-3_600_000);
    await run(t, 3 * 60_000);
    // Three more minutes: every channel about three more times, not none for an hour.
    expect(probed().length - before).toBeGreaterThanOrEqual(2 * CHANNELS);
  }, 120_000);

  it('schedules a channel added through the API at once, and drops a deleted one', async () => {
    const t = await start();
    await run(t, 70_000);
    helix.addUser('newcomer', '9999');
    const created = await t.api('POST', '/api/v1/channels', {
      id: 'newcomer',
      platform: 'twitch',
      url: 'https://twitch.tv/newcomer',
    });
    expect(created.status).toBe(201);
    await run(t, 1_000);
    expect(probed()).toContain('newcomer');
    expect((await t.api('DELETE', '/api/v1/channels/newcomer')).status).toBe(204);
    const seen = probed().filter((l) => l === 'newcomer').length;
    await run(t, 3 * 60_000);
    expect(probed().filter((l) => l === 'newcomer').length).toBe(seen);
    // The others go on.
    expect(probed().filter((l) => l === 'streamer0').length).toBeGreaterThanOrEqual(4);
  }, 120_000);

  it('a changed URL starts the channel afresh: no live carried over, nothing announced', async () => {
    const t = await start();
    helix.users.get('streamer5')!.liveSince = new Date(t.time.now()).toISOString();
    await run(t, 10_000);
    const status = async () =>
      ((await t.api('GET', '/api/v1/channels/streamer5')).json as { status: string }).status;
    expect(await status()).toBe('live');
    const events = () => t.onair.store.listEvents({ channelId: 'streamer5', limit: 10 });
    const announced = (await events()).length;
    const changed = await t.api('PATCH', '/api/v1/channels/streamer5', {
      url: 'https://twitch.tv/streamer6',
    });
    expect(changed.status).toBe(200);
    expect(await status()).toBe('unknown');
    await run(t, 1_000);
    // First sight of the new URL (offline): stored, and no `offline` for a stream it never saw.
    expect(await status()).toBe('offline');
    expect(await events()).toHaveLength(announced);
    helix.users.get('streamer5')!.liveSince = null;
  }, 120_000);
});

/** A small deterministic generator in [0, 1): jitter and start spread differ per channel. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}
