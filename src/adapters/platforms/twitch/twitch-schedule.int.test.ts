import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir, startTestOnair } from '../../../../test/e2e/harness.js';
import { FakeTwitchAuth } from '../../../../test/fake-servers/twitch-auth.server.js';
import { FakeEventSub } from '../../../../test/fake-servers/twitch-eventsub.server.js';
import { FakeHelix, type FakeSchedule } from '../../../../test/fake-servers/twitch-helix.server.js';
import { ManualTime } from '../../../../test/fakes/manual-time.js';
import type { Channel } from '../../../core/model.js';
import { UndiciHttpClient } from '../../http-client/undici-http-client.js';
import { TwitchApi } from './twitch-api.js';
import { TwitchScheduleReader } from './twitch-schedule.adapter.js';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const H = 3_600_000;
const iso = (at: number) => new Date(at).toISOString();

const segment = (
  n: number,
  change: Partial<FakeSchedule['segments'][number]> = {},
): FakeSchedule['segments'][number] => ({
  id: `seg${n}`,
  start_time: iso(NOW + n * 24 * H),
  end_time: iso(NOW + n * 24 * H + 2 * H),
  title: `Show ${n}`,
  canceled_until: null,
  category: { id: '1', name: 'Just Chatting' },
  is_recurring: true,
  ...change,
});

const channel = (id: string, login: string): Channel => ({
  id,
  platform: 'twitch',
  url: `https://twitch.tv/${login}`,
  name: null,
  intervalMs: null,
  options: {},
});

describe('Twitch stream schedules (Helix Get Channel Stream Schedule, fake Helix)', () => {
  let auth: FakeTwitchAuth;
  let eventsub: FakeEventSub;
  let helix: FakeHelix;
  let http: UndiciHttpClient;
  let reader: TwitchScheduleReader;

  beforeAll(async () => {
    auth = await FakeTwitchAuth.start();
    eventsub = await FakeEventSub.start();
    helix = await FakeHelix.start(auth, eventsub);
    http = new UndiciHttpClient({ connectionsPerOrigin: 2, userAgent: 'onair-test' });
    reader = new TwitchScheduleReader(
      new TwitchApi({
        http,
        clock: new ManualTime(NOW),
        timeoutMs: 5_000,
        maxBytes: 1 << 20,
        settings: {
          clientId: auth.clientId,
          clientSecret: auth.clientSecret,
          apiBase: helix.url,
          authBase: auth.url,
          eventsubUrl: eventsub.url,
        },
      }),
    );
    helix.addUser('streamer', '1001');
    helix.addUser('noschedule', '1002');
    helix.schedules.set('1001', {
      segments: [
        ...Array.from({ length: 30 }, (_, i) => segment(i + 1)),
        segment(40, { canceled_until: iso(NOW + 41 * 24 * H) }),
        segment(50),
      ],
      // Segments 45–55 fall into the vacation.
      vacation: { start_time: iso(NOW + 45 * 24 * H), end_time: iso(NOW + 55 * 24 * H) },
    });
  });

  afterAll(async () => {
    await http.close();
    await helix.close();
    await auth.close();
    await eventsub.shutdown();
  });

  it('reads every page; leaves out cancelled segments and those in the vacation; the vacation is a slot', async () => {
    const result = await reader.upcoming(channel('tw', 'streamer'), NOW);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.slots.map((s) => s.title)).toEqual([
      ...Array.from({ length: 30 }, (_, i) => `Show ${i + 1}`),
      'streamer: on vacation',
    ]);
    expect(result.slots[0]).toMatchObject({
      start: NOW + 24 * H,
      end: NOW + 26 * H,
      description: 'Just Chatting',
      url: 'https://www.twitch.tv/streamer',
    });
    // 33 segments at 25 a page: two requests, from now on.
    const requests = helix.scheduleRequests.filter((q) => q.includes('broadcaster_id=1001'));
    expect(requests).toHaveLength(2);
    expect(requests[0]).toContain(`start_time=${encodeURIComponent(iso(NOW))}`);
  });

  it('a channel without a schedule (Helix 404) has none; an unknown login is an error', async () => {
    expect(await reader.upcoming(channel('n', 'noschedule'), NOW)).toEqual({ ok: true, slots: [] });
    const unknown = await reader.upcoming(channel('u', 'nobody'), NOW);
    expect(unknown).toEqual({ ok: false, error: 'Twitch has no user "nobody"' });
  });

  it('appear on the schedule as upcoming entries of their channel', async () => {
    const t = await startTestOnair({
      twitch: {
        clientId: auth.clientId,
        clientSecret: auth.clientSecret,
        apiBase: helix.url,
        authBase: auth.url,
        eventsubUrl: eventsub.url,
      },
      channels: [{ id: 'tw', platform: 'twitch', url: 'https://twitch.tv/streamer' }],
    });
    try {
      expect((await t.api('POST', '/api/v1/schedule/feeds/refresh')).status).toBe(200);
      const from = iso(t.time.now());
      const to = iso(t.time.now() + 100 * 24 * H);
      const entries = (await t.api('GET', `/api/v1/schedule?from=${from}&to=${to}`)).json as {
        source: string;
        channelId: string;
        title: string;
        status: string;
      }[];
      const platform = entries.filter((e) => e.source === 'platform');
      expect(platform.length).toBeGreaterThan(0);
      expect(platform.every((e) => e.channelId === 'tw' && e.status === 'upcoming')).toBe(true);
      expect(platform.map((e) => e.title)).toContain('streamer: on vacation');
      const status = (await t.api('GET', '/api/v1/schedule/platforms')).json as unknown[];
      expect(status).toEqual([
        expect.objectContaining({ channel: 'tw', platform: 'twitch', error: null }),
      ]);
    } finally {
      await t.stop();
      removeDir(t.dir);
    }
  });
});
