import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformContract } from '../../../../test/contracts/platform.contract.js';
import { FakeTwitchAuth } from '../../../../test/fake-servers/twitch-auth.server.js';
import { FakeEventSub } from '../../../../test/fake-servers/twitch-eventsub.server.js';
import { FakeHelix } from '../../../../test/fake-servers/twitch-helix.server.js';
import { ManualTime } from '../../../../test/fakes/manual-time.js';
import type { Channel } from '../../../core/model.js';
import { UndiciHttpClient } from '../../http-client/undici-http-client.js';
import { TwitchApi } from './twitch-api.js';
import { TwitchPlatform } from './twitch.platform.js';

interface Fakes {
  auth: FakeTwitchAuth;
  eventsub: FakeEventSub;
  helix: FakeHelix;
}
async function startFakes(): Promise<Fakes> {
  const auth = await FakeTwitchAuth.start();
  const eventsub = await FakeEventSub.start();
  const helix = await FakeHelix.start(auth, eventsub);
  return { auth, eventsub, helix };
}
async function stopFakes(f: Fakes): Promise<void> {
  await f.helix.close();
  await f.auth.close();
  await f.eventsub.shutdown();
}
const settingsOf = (f: Fakes) => ({
  clientId: f.auth.clientId,
  clientSecret: f.auth.clientSecret,
  apiBase: f.helix.url,
  authBase: f.auth.url,
  eventsubUrl: f.eventsub.url,
});

let contractFakes: Fakes;
platformContract({
  name: 'twitch',
  create: (deps) =>
    new TwitchPlatform(
      new TwitchApi({ ...deps, clock: new ManualTime(), settings: settingsOf(contractFakes) }),
    ),
  reportsTitle: true,
  badUrls: [
    'not a url',
    'https://twitch.tv/',
    'https://twitch.tv/a/videos',
    'https://example.org/alice',
    'ftp://twitch.tv/alice',
  ],
  startFake: async () => {
    contractFakes = await startFakes();
    const user = contractFakes.helix.addUser('alice', '1001');
    return {
      channelUrl: 'https://twitch.tv/alice',
      goLive: (title) => {
        Object.assign(user, { title, liveSince: new Date().toISOString() });
      },
      goOffline: () => {
        user.liveSince = null;
      },
      fault: (kind) => {
        contractFakes.helix.fault = kind;
      },
      close: () => stopFakes(contractFakes),
    };
  },
});

describe('twitch specifics', () => {
  let f: Fakes;
  let http: UndiciHttpClient;
  let time: ManualTime;
  let api: TwitchApi;
  let twitch: TwitchPlatform;
  const channel = (id: string, login: string): Channel => ({
    id,
    platform: 'twitch',
    url: `https://twitch.tv/${login}`,
    name: null,
    intervalMs: null,
    options: {},
  });
  const signal = () => AbortSignal.timeout(2_000);

  beforeAll(async () => {
    f = await startFakes();
    http = new UndiciHttpClient({ connectionsPerOrigin: 2, userAgent: 'onair-test' });
  });
  afterAll(async () => {
    await stopFakes(f);
    await http.close();
  });
  const fresh = () => {
    time = new ManualTime(Date.parse('2026-01-01T00:00:00Z'));
    api = new TwitchApi({
      http,
      clock: time,
      timeoutMs: 1_000,
      maxBytes: 1 << 20,
      settings: settingsOf(f),
    });
    twitch = new TwitchPlatform(api);
  };

  it('probes 250 channels with 3 Helix requests of at most 100 logins, with title, category and start', async () => {
    fresh();
    const channels = Array.from({ length: 250 }, (_, i) => channel(`c${i}`, `user${i}`));
    for (let i = 0; i < 250; i++) f.helix.addUser(`user${i}`, String(5000 + i));
    Object.assign(f.helix.users.get('user7')!, {
      title: 'Speedrun',
      category: 'Celeste',
      liveSince: '2026-01-01T09:00:00Z',
      viewers: 12,
    });
    f.helix.streamsRequests = [];
    const obs = await twitch.probeBatch(channels, signal());
    expect(f.helix.streamsRequests.map((r) => r.length)).toEqual([100, 100, 50]);
    expect(obs.get('c7')).toEqual({
      kind: 'live',
      title: 'Speedrun',
      startedAt: Date.parse('2026-01-01T09:00:00Z'),
      tags: ['Celeste', 'English'],
      viewers: 12,
      thumbnail: 'https://static.example/user7-1280x720.jpg',
      name: 'user7',
    });
    expect(obs.get('c8')).toEqual({ kind: 'offline' });
    expect(obs.size).toBe(250);
  });

  it('refreshes the app token before it expires, and not before', async () => {
    fresh();
    f.auth.expiresIn = 3600;
    const before = f.auth.tokenRequests;
    await twitch.probe(channel('a', 'user1'), { wasLive: false }, signal());
    time.set(time.now() + 54 * 60_000);
    await twitch.probe(channel('a', 'user1'), { wasLive: false }, signal());
    expect(f.auth.tokenRequests - before).toBe(1);
    time.set(time.now() + 2 * 60_000); // 56 min: inside the 5-minute margin
    await twitch.probe(channel('a', 'user1'), { wasLive: false }, signal());
    expect(f.auth.tokenRequests - before).toBe(2);
  });

  it('gets a new token at once when Helix refuses the old one', async () => {
    fresh();
    await twitch.probe(channel('a', 'user1'), { wasLive: false }, signal());
    f.auth.revokeAll();
    const before = f.auth.tokenRequests;
    expect((await twitch.probe(channel('a', 'user1'), { wasLive: false }, signal())).kind).toBe(
      'offline',
    );
    expect(f.auth.tokenRequests - before).toBe(1);
  });

  it('honours Ratelimit-Reset: after an empty bucket, no request until the reset', async () => {
    fresh();
    const resetAt = time.now() + 30_000;
    f.helix.rateRemaining = 0; // this answer empties the bucket
    f.helix.rateReset = Math.floor(resetAt / 1000);
    await twitch.probe(channel('a', 'user1'), { wasLive: false }, signal());
    const sent = f.helix.streamsRequests.length;
    const blocked = await twitch.probe(channel('a', 'user1'), { wasLive: false }, signal());
    expect(blocked).toMatchObject({ kind: 'failed', retryable: true });
    expect(f.helix.streamsRequests.length).toBe(sent);
    f.helix.rateRemaining = 799;
    time.set(resetAt + 1);
    expect((await twitch.probe(channel('a', 'user1'), { wasLive: false }, signal())).kind).toBe(
      'offline',
    );
  });

  it('turns a 429 into a failure and waits for the reset', async () => {
    fresh();
    f.helix.rateRemaining = -1;
    f.helix.rateReset = Math.floor((time.now() + 10_000) / 1000);
    expect(await twitch.probe(channel('a', 'user1'), { wasLive: false }, signal())).toMatchObject({
      kind: 'failed',
      retryable: true,
    });
    f.helix.rateRemaining = 799;
    expect(await twitch.probe(channel('a', 'user1'), { wasLive: false }, signal())).toMatchObject({
      kind: 'failed',
    });
    time.set(time.now() + 11_000);
    expect((await twitch.probe(channel('a', 'user1'), { wasLive: false }, signal())).kind).toBe(
      'offline',
    );
  });

  it('fails with a clear message, without secrets, when the credentials are wrong or missing', async () => {
    const bad = new TwitchPlatform(
      new TwitchApi({
        http,
        clock: new ManualTime(),
        timeoutMs: 1_000,
        maxBytes: 1 << 20,
        settings: { ...settingsOf(f), clientSecret: 'wrong-secret-value' },
      }),
    );
    const obs = await bad.probe(channel('a', 'user1'), { wasLive: false }, signal());
    expect(obs).toMatchObject({ kind: 'failed', retryable: false });
    expect(JSON.stringify(obs)).toContain('check twitch.clientId and twitch.clientSecret');
    expect(JSON.stringify(obs)).not.toContain('wrong-secret-value');
    expect(
      await new TwitchPlatform(null).probe(channel('a', 'user1'), { wasLive: false }, signal()),
    ).toMatchObject({ kind: 'failed', retryable: false });
  });

  it('accepts only channel URLs', () => {
    const p = new TwitchPlatform(null);
    expect(p.validateUrl('https://www.twitch.tv/Some_User')).toBeNull();
    expect(p.validateUrl('https://twitch.tv/a/b')).not.toBeNull();
    expect(p.recognises(new URL('https://twitch.tv/x'))).toBe(true);
    expect(p.recognises(new URL('https://example.org/x'))).toBe(false);
  });
});
