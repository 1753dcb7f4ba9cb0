import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithServices, missingServices } from '../contracts/store-services.js';
import { FakeTwitchAuth } from '../fake-servers/twitch-auth.server.js';
import { FakeEventSub } from '../fake-servers/twitch-eventsub.server.js';
import { FakeHelix } from '../fake-servers/twitch-helix.server.js';
import { Cluster, waitFor, type OnairProcess } from './failover-cluster.js';

const missing = await missingServices(['postgres']);
const TWITCH = 250;
const LEASE_S = 3;
const INTERVAL_S = 20;

/**
 * 1 `--role api` + 2 `--role worker` on PostgreSQL alone, 250 Twitch channels, one EventSub user
 * token. Exactly one EventSub session is open however many workers run; when its holder is
 * SIGKILLed the other worker opens one within the lease time (+ 5 s). Polling batches Twitch by 100
 * per Helix call across workers. The api process's event stream shows what the workers decided.
 */
describeWithServices(
  'cluster: one EventSub session, batched Helix polling, shared events',
  missing,
  () => {
    let auth: FakeTwitchAuth;
    let eventsub: FakeEventSub;
    let helix: FakeHelix;
    let cluster: Cluster;
    const logins = Array.from({ length: TWITCH }, (_, i) => `streamer${i}`);
    const open = () => eventsub.sessions.filter((s) => s.closedWith === null);
    const holder = (): OnairProcess | undefined =>
      cluster.processes.find(
        (p) =>
          p.child.exitCode === null &&
          p.child.signalCode === null &&
          lastLeaseLine(p)?.includes('push lease taken') === true,
      );

    beforeAll(async () => {
      auth = await FakeTwitchAuth.start();
      eventsub = await FakeEventSub.start();
      // The fake sends keepalives only when told: a long timeout keeps the one session up.
      eventsub.keepaliveSeconds = 600;
      helix = await FakeHelix.start(auth, eventsub);
      // Its rate-limit bucket never refills; every worker also reads each channel's stream schedule.
      helix.rateRemaining = 1e9;
      logins.forEach((l, i) => helix.addUser(l, String(1000 + i)));
      cluster = await Cluster.create({
        channels: 0,
        mode: 'cluster',
        interval: `${INTERVAL_S}s`,
        tick: '1s',
        lease: `${LEASE_S}s`,
        twitch: {
          clientId: auth.clientId,
          clientSecret: auth.clientSecret,
          userToken: helix.userToken,
          apiBase: helix.url,
          authBase: auth.url,
          eventsubUrl: eventsub.url,
        },
        extraChannels: logins.map((l) => ({
          id: l,
          platform: 'twitch',
          url: `https://twitch.tv/${l}`,
          notify: [{ target: 'hook', events: ['live', 'title', 'offline'] }],
        })),
      });
      await cluster.spawn('api').ready;
      await Promise.all([cluster.spawn('worker').ready, cluster.spawn('worker').ready]);
    }, 120_000);

    afterAll(async () => {
      await (cluster as Cluster | undefined)?.stop();
      await helix.close();
      await auth.close();
      await eventsub.shutdown();
    }, 60_000);

    it('opens exactly one EventSub session for two workers', async () => {
      await waitFor(
        () => open().length === 1 && holder() !== undefined,
        30_000,
        () => 'no session',
      );
      // A few lease renewals later, never more than one at a time: the other worker keeps trying
      // and keeps failing. (A session may end and be reopened; two never overlap.)
      const since = Date.now();
      let most = 0;
      await waitFor(
        () => {
          most = Math.max(most, open().length);
          return Date.now() - since > 3 * LEASE_S * 1_000;
        },
        30_000,
        () => 'time',
      );
      expect(most).toBe(1);
      expect(open()).toHaveLength(1);
      const starts = cluster.processes.flatMap((p) =>
        p.lines.filter((l) => l.includes('push lease taken')),
      );
      expect(starts, eventsub.sessions.map((x) => String(x.closedWith)).join(',')).toHaveLength(1);
    }, 60_000);

    it('polls 250 Twitch channels with at most 3 Helix Get Streams calls per round', async () => {
      const start = helix.streamsRequests.length;
      const since = Date.now();
      await waitFor(
        () => Date.now() - since > 3 * INTERVAL_S * 1_000,
        120_000,
        () => 'time',
      );
      const calls = helix.streamsRequests.slice(start);
      const rounds = calls.flat().length / TWITCH;
      console.info(
        `Helix Get Streams over ${rounds.toFixed(1)} rounds: ${calls.map((c) => c.length).join(',')}`,
      );
      expect(rounds).toBeGreaterThanOrEqual(2.5);
      // Two workers claiming at the same moment can still split one batch in the window (seen:
      // 100,100,48,100,100,1,47,…): known gap of issue 13, allowed once here, never more.
      expect(calls.length).toBeLessThanOrEqual(3 * Math.ceil(rounds) + 1);
    }, 120_000);

    it('shows a worker’s decision on the api process’s event stream', async () => {
      const controller = new AbortController();
      const res = await fetch(`${cluster.apiUrl}/api/v1/events/stream`, {
        headers: { authorization: 'Bearer failover-admin-token' },
        signal: controller.signal,
      });
      expect(res.status).toBe(200);
      let text = '';
      const reading = (async () => {
        const decoder = new TextDecoder();
        for await (const chunk of res.body! as AsyncIterable<Uint8Array>)
          text += decoder.decode(chunk, { stream: true });
      })().catch(() => undefined);
      // A polled channel (beyond the push budget) goes live; only a worker probes it.
      helix.users.get('streamer200')!.liveSince = new Date().toISOString();
      await waitFor(
        () => /"event":"live"/.test(text) && text.includes('streamer200'),
        30_000,
        () => `the api stream showed: ${text.slice(-500)}`,
      );
      controller.abort();
      await reading;
    }, 60_000);

    it('moves the session to the other worker within the lease time after its holder is killed', async () => {
      const victim = holder()!;
      expect(victim.role).toBe('worker');
      victim.child.kill('SIGKILL');
      const killedAt = Date.now();
      await waitFor(
        () => open().length === 1 && holder() !== undefined && holder() !== victim,
        LEASE_S * 1_000 + 5_000 + 10_000,
        () => `sessions: ${JSON.stringify(eventsub.sessions.map((s) => s.closedWith))}`,
      );
      const takeoverMs = Date.now() - killedAt;
      console.info(`EventSub taken over ${(takeoverMs / 1_000).toFixed(1)} s after the kill`);
      expect(takeoverMs).toBeLessThan(LEASE_S * 1_000 + 5_000);
      expect(open()).toHaveLength(1);
    }, 60_000);
  },
);

function lastLeaseLine(p: OnairProcess): string | undefined {
  return p.lines.filter((l) => l.includes('push lease')).at(-1);
}
