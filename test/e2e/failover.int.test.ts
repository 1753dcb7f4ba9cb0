import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithServices, missingServices } from '../contracts/store-services.js';
import { Cluster, exactlyOnce, waitFor } from './failover-cluster.js';

const CHANNELS = 5_000;
const all = Array.from({ length: CHANNELS }, (_, i) => i);
const missing = await missingServices(['postgres']);

/**
 * One API and three worker processes on real PostgreSQL (and nothing else) over 5,000 fake
 * Owncast channels. All go live (announced once each), then all go offline while one worker is
 * killed with SIGKILL in the middle of its polling: its claims on due channels lapse and the other
 * workers probe them, and every transition still reaches the webhook receiver exactly once by event id.
 */
describeWithServices('failover: a worker killed mid-run loses and doubles nothing', missing, () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await Cluster.create({
      channels: CHANNELS,
      mode: 'cluster',
      interval: '4s',
      tick: '1s',
      lease: '3s',
    });
    await cluster.spawn('api').ready;
    await Promise.all([
      cluster.spawn('worker').ready,
      cluster.spawn('worker').ready,
      cluster.spawn('worker').ready,
    ]);
  }, 300_000);

  afterAll(async () => {
    await cluster.stop();
  }, 60_000);

  const announced = async (): Promise<string[]> =>
    (await cluster.query<{ id: string }>(`SELECT id FROM events WHERE suppressed IS NULL`)).map(
      (r) => r.id,
    );
  const outboxSettled = async (): Promise<boolean> =>
    (
      await cluster.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM deliveries WHERE status <> 'sent'`,
      )
    )[0]!.n === 0;
  const received = (): string[] => cluster.receiver.accepted.map((r) => r.body.id);
  const describeProgress = () => `receiver has ${cluster.receiver.accepted.length} notifications`;

  it('announces every transition exactly once although a worker dies', async () => {
    // First sight of every channel announces nothing (rule 1).
    await waitFor(
      async () =>
        (await cluster.query<{ n: number }>(`SELECT count(*)::int AS n FROM channel_state`))[0]!
          .n === CHANNELS,
      60_000,
      () => 'not every channel was observed',
    );
    expect(cluster.receiver.accepted).toHaveLength(0);

    cluster.goLive(all, 'going live', new Date());
    await waitFor(
      async () => cluster.receiver.accepted.length >= CHANNELS && (await outboxSettled()),
      90_000,
      describeProgress,
    );

    // The next wave starts and, in the same turn of the event loop, a busy worker dies: it cannot
    // have seen the new wave, and its shards are mid-tick under its leases.
    const victim = cluster.processes.find((p) => p.role === 'worker')!;
    cluster.goOffline(all);
    victim.child.kill('SIGKILL');
    await waitFor(
      async () => cluster.receiver.accepted.length >= 2 * CHANNELS && (await outboxSettled()),
      90_000,
      describeProgress,
    );
    // Anything late or doubled would arrive within a few ticks.
    await new Promise((resolve) => setTimeout(resolve, 3_000));

    expect(victim.child.signalCode).toBe('SIGKILL');
    const expected = await announced();
    expect(expected).toHaveLength(2 * CHANNELS);
    expect(exactlyOnce(expected, received())).toEqual({ lost: [], doubled: [], unexpected: [] });
    const kinds = cluster.receiver.accepted.map((r) => r.body.event);
    expect(kinds.filter((k) => k === 'live')).toHaveLength(CHANNELS);
    expect(kinds.filter((k) => k === 'offline')).toHaveLength(CHANNELS);
    const deliveries = await cluster.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM deliveries WHERE status = 'sent'`,
    );
    expect(deliveries[0]!.n).toBe(2 * CHANNELS);
  }, 200_000);

  it('shows channel state in the api role, read from the store', async () => {
    await waitFor(
      async () => {
        const res = await fetch(`${cluster.apiUrl}/api/v1/channels/c42`, {
          headers: { authorization: 'Bearer failover-admin-token' },
        });
        return ((await res.json()) as { status?: string }).status === 'offline';
      },
      15_000,
      () => 'the api never showed c42 offline',
    );
  });
});

// The negative twin: the same verdict on receiver logs that lost or doubled something.
describe('failover verdict can fail', () => {
  it('reports a lost, a doubled and an unexpected notification', () => {
    expect(exactlyOnce(['a', 'b', 'c'], ['a', 'b', 'b', 'x'])).toEqual({
      lost: ['c'],
      doubled: ['b'],
      unexpected: ['x'],
    });
  });
});
