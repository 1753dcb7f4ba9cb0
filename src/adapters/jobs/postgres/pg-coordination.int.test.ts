import pg from 'pg';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import {
  createTempDatabase,
  describeWithServices,
  missingServices,
  type TempDatabase,
} from '../../../../test/contracts/store-services.js';
import type { BusMessage } from '../../../ports/event-bus.js';
import type { Logger } from '../../../ports/logger.js';
import { monotonicClock, systemTimers } from '../../time/system-time.js';
import { openPostgresStore } from '../../store/postgres/postgres-store.js';
import { openPostgresCoordination, type PostgresCoordination } from './pg-coordination.js';

const missing = await missingServices(['postgres']);
const quiet: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => quiet,
};

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`never: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Two processes' coordination on one database: what a cluster of two workers shares. */
describeWithServices('PostgreSQL coordination (leases, broadcast)', missing, () => {
  let database: TempDatabase;
  let a: PostgresCoordination;
  let b: PostgresCoordination;
  const open = () =>
    openPostgresCoordination({
      url: database.url,
      poolSize: 2,
      leaseMs: 1_000,
      clock: monotonicClock,
      timers: systemTimers,
      logger: quiet,
    });

  beforeAll(async () => {
    database = await createTempDatabase('onair_coord');
    await (await openPostgresStore(database.url, { poolSize: 1 })).close();
  });
  afterEach(async () => {
    await a.close();
    await b.close();
  });
  afterAll(async () => {
    await database.drop();
  });

  it('one holder at a time; renewed past its ttl; handed over on release', async () => {
    [a, b] = await Promise.all([open(), open()]);
    const held = await a.leases.tryAcquire('twitch-push', 600);
    expect(held).not.toBeNull();
    expect(await b.leases.tryAcquire('twitch-push', 600)).toBeNull();
    // Three ttls later it is still held: renewals keep it.
    const since = Date.now();
    await until(() => Date.now() - since > 1_800, 'time to pass');
    expect(held!.signal.aborted).toBe(false);
    expect(await b.leases.tryAcquire('twitch-push', 600)).toBeNull();
    await held!.release();
    expect(await b.leases.tryAcquire('twitch-push', 600)).not.toBeNull();
  });

  it('a holder that dies (stops renewing) loses the lease within its ttl, not before', async () => {
    [a, b] = await Promise.all([open(), open()]);
    // What a SIGKILLed holder leaves behind: its row, renewed by nobody.
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    await client.query(
      `INSERT INTO leases (name, holder, expires_at)
       VALUES ('record:cam', 'dead', (extract(epoch FROM clock_timestamp()) * 1000)::bigint + 1500)`,
    );
    await client.end();
    const killedAt = Date.now();
    expect(await b.leases.tryAcquire('record:cam', 800)).toBeNull();
    await until(
      async () => (await b.leases.tryAcquire('record:cam', 800)) !== null,
      'the dead holder’s lease to expire',
    );
    const after = Date.now() - killedAt;
    expect(after).toBeGreaterThanOrEqual(1_400);
    expect(after).toBeLessThan(1_500 + 5_000);
  });

  it('a singleton runs in exactly one of two processes and moves when its holder stops', async () => {
    [a, b] = await Promise.all([open(), open()]);
    const running = new Set<string>();
    const task = (who: string) => async (lease: { signal: AbortSignal }) => {
      running.add(who);
      await new Promise((resolve) => {
        lease.signal.addEventListener('abort', resolve);
      });
      running.delete(who);
    };
    const sa = a.leases.singleton('bot', 1_000, task('a'));
    const sb = b.leases.singleton('bot', 1_000, task('b'));
    await until(() => running.size === 1, 'one singleton to run');
    const first = [...running][0]!;
    await (first === 'a' ? sa : sb).stop();
    await until(() => running.size === 1 && !running.has(first), 'the other to take over');
    await (first === 'a' ? sb : sa).stop();
    expect(running.size).toBe(0);
  });

  it('broadcasts messages to the other process in order, and to its own listeners at once', async () => {
    [a, b] = await Promise.all([open(), open()]);
    const atA: BusMessage[] = [];
    const atB: BusMessage[] = [];
    a.bus.subscribe((m) => atA.push(m));
    b.bus.subscribe((m) => atB.push(m));
    const messages: BusMessage[] = Array.from({ length: 50 }, (_, i) => ({
      type: 'state',
      channelId: `c${i}`,
      status: 'live',
      title: `title ${i}`,
    }));
    for (const m of messages) a.bus.publish(m);
    expect(atA).toEqual(messages);
    await until(() => atB.length === messages.length, 'b to hear every message');
    expect(atB).toEqual(messages);
    // Nothing echoes back to the publisher.
    expect(atA).toHaveLength(messages.length);
  });
});
