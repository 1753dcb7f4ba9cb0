import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { contentId } from '../../src/core/event-id.js';
import { removeDir } from '../e2e/harness.js';
import { FaultyReceiver } from '../fake-servers/faulty-receiver.server.js';
import { FakeOwncast } from '../fake-servers/owncast.server.js';
import {
  ensureBuilt,
  recordFigures,
  sleep,
  startServe,
  type ServeProcess,
} from './serve-process.js';
import { brokenAlternation, judge, type Delivered } from './verdict.js';

/** CI runs the full 20 rounds (about a minute and a half); ONAIR_CHAOS_ROUNDS changes it. */
const ROUNDS = Number(process.env['ONAIR_CHAOS_ROUNDS'] ?? 20);
const CHANNELS = 6;
const TOKEN = 'chaos-admin-token';
/** A transition is certainly seen when a probing process was up for this long of it (1 s polls). */
const VISIBLE_MS = 3_000;

interface Period {
  readonly live: boolean;
  readonly start: number;
  end: number | null;
  /** The session's `lastConnectTime` (unique per session, whole seconds like Owncast). */
  readonly startedAt: number | null;
  readonly titles: string[];
}

/** What the fake showed, per channel, on the wall clock. */
class Timeline {
  readonly periods = new Map<string, Period[]>();
  private session = 0;
  private readonly base = Date.parse('2025-01-01T00:00:00Z');

  private readonly fake: FakeOwncast;

  constructor(fake: FakeOwncast) {
    this.fake = fake;
    for (let i = 0; i < CHANNELS; i++)
      this.periods.set(`ch${i}`, [
        { live: false, start: Date.now(), end: null, startedAt: null, titles: [] },
      ]);
  }

  current(channel: string): Period {
    return this.periods.get(channel)!.at(-1)!;
  }

  flip(channel: string): void {
    const now = Date.now();
    const prefix = `/c/${channel.slice(2)}`;
    this.current(channel).end = now;
    if (this.current(channel).live) {
      this.fake.goOffline(prefix);
      this.periods
        .get(channel)!
        .push({ live: false, start: now, end: null, startedAt: null, titles: [] });
    } else {
      const startedAt = this.base + ++this.session * 1_000;
      const title = `${channel} session ${this.session}`;
      this.fake.goLive(title, new Date(startedAt), prefix);
      this.periods
        .get(channel)!
        .push({ live: true, start: now, end: null, startedAt, titles: [title] });
    }
  }

  retitle(channel: string): void {
    const period = this.current(channel);
    if (!period.live) return;
    const title = `${period.titles[0]!} part ${period.titles.length + 1}`;
    this.fake.setTitle(title, `/c/${channel.slice(2)}`);
    period.titles.push(title);
  }
}

/** Longest stretch of [start, end) covered by one window in which a process was up and probing. */
function longestUptime(
  start: number,
  end: number,
  uptimes: readonly (readonly [number, number])[],
): number {
  let best = 0;
  for (const [up, down] of uptimes)
    best = Math.max(best, Math.min(end, down) - Math.max(start, up));
  return best;
}

interface ApiEvent {
  id: string;
  event: string;
  channel: { id: string };
  title: string | null;
  startedAt: string | null;
  suppressed?: string;
}

/**
 * Crash safety of the embedded mode: the real `onair serve` is SIGKILLed at random moments while
 * six channels flap and deliveries to a slow receiver are in flight, and restarted, ROUNDS times.
 */
describe('chaos: SIGKILL while channels flap and deliveries flow', () => {
  const dir = mkdtempSync(join(tmpdir(), 'onair-chaos-'));
  let owncast: FakeOwncast;
  let receiver: FaultyReceiver;
  let current: ServeProcess | null = null;

  beforeAll(async () => {
    ensureBuilt();
    owncast = await FakeOwncast.start();
    receiver = await FaultyReceiver.start();
  }, 120_000);
  afterAll(async () => {
    if (current && current.child.exitCode === null) process.kill(current.pid, 'SIGKILL');
    await owncast.close();
    await receiver.close();
    removeDir(dir);
  });

  it(`loses and doubles no announcement across ${ROUNDS} kills; the database stays intact`, async () => {
    const config = join(dir, 'onair.yaml');
    writeFileSync(
      config,
      stringify({
        server: { host: '127.0.0.1', port: 0 },
        dataDir: join(dir, 'data'),
        auth: { adminToken: TOKEN },
        log: { level: 'info' },
        poll: { interval: '1s', timeout: '2s' },
        policy: { reconnectGrace: '0s' },
        delivery: { timeout: '2s', backoffBase: '200ms', backoffMax: '2s' },
        targets: [{ id: 'hook', type: 'webhook', url: receiver.url }],
        channels: Array.from({ length: CHANNELS }, (_, i) => ({
          id: `ch${i}`,
          platform: 'owncast',
          url: `${owncast.url}/c/${i}`,
          notify: [{ target: 'hook', events: ['live', 'title', 'offline'] }],
        })),
      }),
    );
    // A receiver that takes its time, so kills land between "it took the request" and "onair marked it sent".
    receiver.answer = () => ({
      kind: 'answer',
      status: 204,
      delayMs: Math.floor(Math.random() * 400),
    });
    const timeline = new Timeline(owncast);
    const api = async <T>(path: string): Promise<T> => {
      const res = await fetch(`${current!.url}${path}`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      return (await res.json()) as T;
    };

    // First sight announces nothing (rule 1): let every channel be seen offline before flapping.
    current = await startServe(config);
    for (;;) {
      const channels = await api<{ id: string; status: string }[]>('/api/v1/channels');
      if (channels.length === CHANNELS && channels.every((c) => c.status === 'offline')) break;
      await sleep(100);
    }
    const uptimes: [number, number][] = [];
    let upSince = Date.now();

    // Each channel flips every 0.3–4 s (some faster than the 1 s poll), retitling now and then.
    const flapping = { on: true };
    const flaps = Array.from({ length: CHANNELS }, async (_, i) => {
      const channel = `ch${i}`;
      for (;;) {
        await sleep(300 + Math.random() * 3_700);
        if (!flapping.on) return;
        if (timeline.current(channel).live && Math.random() < 0.3) timeline.retitle(channel);
        else timeline.flip(channel);
      }
    });

    let killedWhileSending = 0;
    for (let round = 0; round < ROUNDS; round++) {
      await sleep(300 + Math.random() * 1_500);
      if (receiver.requests.some((r) => r.status === null && r.at >= upSince)) killedWhileSending++;
      process.kill(current.pid, 'SIGKILL');
      expect(await current.exited).toBe('SIGKILL');
      uptimes.push([upSince, Date.now()]);
      current = await startServe(config);
      upSince = Date.now();
    }
    flapping.on = false;
    await Promise.all(flaps);

    // Quiet: the last process must agree with the fake and have nothing left to send.
    const quietSince = Date.now();
    for (;;) {
      const channels = await api<{ id: string; status: string }[]>('/api/v1/channels');
      const pending = await api<unknown[]>('/api/v1/targets/hook/deliveries?status=pending');
      const agrees = channels.every(
        (c) => c.status === (timeline.current(c.id).live ? 'live' : 'offline'),
      );
      if (agrees && pending.length === 0 && Date.now() - quietSince > VISIBLE_MS) break;
      if (Date.now() - quietSince > 30_000)
        throw new Error(`no quiet state: ${JSON.stringify({ channels, pending })}`);
      await sleep(200);
    }
    const history = (await api<ApiEvent[]>('/api/v1/events?limit=1000')).reverse();
    process.kill(current.pid, 'SIGTERM');
    expect(await current.exited).toBe(0);
    uptimes.push([upSince, Date.now()]);
    const end = Date.now();

    const announced = history.filter((e) => e.suppressed === undefined);
    const expected: Delivered[] = announced.map((e) => ({
      deliveryId: e.id,
      channel: e.channel.id,
      event: e.event,
    }));
    const received: Delivered[] = receiver.requests.map((r) => ({
      deliveryId: r.deliveryId,
      channel: r.channel,
      event: r.event,
    }));
    const verdict = judge(expected, received);

    // Every announcement is true to what the fake showed: its session existed (and ended, for
    // `offline`) with that title. A restart of the stream that onair never saw offline (it
    // happened between two probes or while onair was down) continues the session it knew, so
    // a `title` may carry a later session's title (decide rule 3).
    const untrue = announced.filter((e) => {
      const startedAt = e.startedAt === null ? null : Date.parse(e.startedAt);
      const periods = timeline.periods.get(e.channel.id)!;
      const session = periods.find((p) => p.live && p.startedAt === startedAt);
      if (!session) return true;
      if (e.event === 'offline') return session.end === null;
      if (e.event === 'live') return !session.titles.includes(e.title ?? '');
      return !periods.some(
        (p) => p.live && p.startedAt! >= startedAt! && p.titles.includes(e.title ?? ''),
      );
    });
    // Every session (and end of session) that a running process certainly saw was announced.
    const missed: string[] = [];
    for (const [channel, periods] of timeline.periods) {
      periods.forEach((p, i) => {
        if (!p.live || p.startedAt === null) return;
        const before = periods[i - 1]!;
        const after = periods[i + 1];
        const sawOfflineBefore =
          longestUptime(before.start, before.end ?? end, uptimes) >= VISIBLE_MS;
        const sawLive = longestUptime(p.start, p.end ?? end, uptimes) >= VISIBLE_MS;
        const liveId = contentId(channel, 'live', p.startedAt);
        if (sawOfflineBefore && sawLive && !announced.some((e) => e.id === liveId))
          missed.push(`${channel} live ${p.titles[0]!}`);
        const sawOfflineAfter =
          after !== undefined &&
          longestUptime(after.start, after.end ?? end, uptimes) >= VISIBLE_MS;
        if (
          announced.some((e) => e.id === liveId) &&
          sawOfflineAfter &&
          !announced.some((e) => e.id === contentId(channel, 'offline', p.startedAt!))
        ) {
          missed.push(`${channel} offline ${p.titles[0]!}`);
        }
      });
    }

    const db = new BetterSqlite3(join(dir, 'data/onair.db'), { readonly: true });
    const integrity = db.pragma('integrity_check', { simple: true });
    const dbEvents = (db.prepare('select count(*) as n from events').get() as { n: number }).n;
    db.close();

    const fakeTransitions = [...timeline.periods.values()].reduce(
      (n, periods) => n + periods.length - 1,
      0,
    );
    recordFigures('chaos', {
      rounds: ROUNDS,
      channels: CHANNELS,
      fakeTransitions,
      announced: announced.length,
      byKind: Object.fromEntries(
        ['live', 'title', 'offline'].map((k) => [k, announced.filter((e) => e.event === k).length]),
      ),
      suppressed: history.length - announced.length,
      receiverRequests: receiver.requests.length,
      distinctIdsReceived: new Set(receiver.requests.map((r) => r.deliveryId)).size,
      rawDuplicates: verdict.duplicates,
      killsWithARequestInFlight: killedWhileSending,
      lost: verdict.lost.length,
      unexpected: verdict.unexpected.length,
      outOfOrder: verdict.outOfOrder.length,
      untrue: untrue.length,
      missed: missed.length,
      integrity,
      dbEvents,
    });
    expect(announced.length).toBeGreaterThan(ROUNDS);
    expect(verdict.lost).toEqual([]);
    expect(verdict.unexpected).toEqual([]);
    expect(verdict.outOfOrder).toEqual([]);
    expect(untrue).toEqual([]);
    expect(missed).toEqual([]);
    expect(brokenAlternation(expected)).toEqual([]);
    expect(new Set(announced.map((e) => e.id)).size).toBe(announced.length);
    // Redeliveries happen only when a kill lands between the receiver's read and onair's commit:
    // at most one in flight per channel (deliveries of a channel go one at a time) per kill.
    expect(verdict.duplicates).toBeLessThanOrEqual(ROUNDS * CHANNELS);
    expect(integrity).toBe('ok');
    expect(dbEvents).toBe(history.length);
  }, 240_000);
});
