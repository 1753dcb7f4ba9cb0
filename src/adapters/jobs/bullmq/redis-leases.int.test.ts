import { afterAll, afterEach, expect, it } from 'vitest';
import {
  REDIS_URL,
  describeWithServices,
  missingServices,
  uniqueName,
} from '../../../../test/contracts/store-services.js';
import { ManualTime } from '../../../../test/fakes/manual-time.js';
import { systemTimers } from '../../time/system-time.js';
import type { Timers } from '../../../ports/clock.js';
import type { Lease } from '../../../ports/jobs.js';
import type { Logger } from '../../../ports/logger.js';
import { RedisLeases } from './redis-leases.js';

const missing = await missingServices(['redis']);
const quiet: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => quiet,
};
/** Timers that never fire: a holder that froze or died and so never renews. */
const dead: Timers = { after: () => () => undefined };

describeWithServices('Redis leases', missing, () => {
  const prefix = uniqueName('onair_leases');
  const opened: RedisLeases[] = [];
  const leases = (timers: Timers = systemTimers) => {
    const l = new RedisLeases({ redisUrl: REDIS_URL, prefix, timers, logger: quiet });
    opened.push(l);
    return l;
  };
  afterEach(async () => {
    // Releases what is held: each test leaves no key behind.
    await Promise.all(opened.splice(0).map((l) => l.close()));
  });
  afterAll(async () => {
    const probe = leases();
    expect(await probe.tryAcquire('exclusive', 1_000)).not.toBeNull();
    await probe.close();
  });

  it('is exclusive until released', async () => {
    const a = leases();
    const b = leases();
    const held = await a.tryAcquire('exclusive', 5_000);
    expect(held).not.toBeNull();
    expect(await b.tryAcquire('exclusive', 5_000)).toBeNull();
    await held!.release();
    expect(held!.signal.aborted).toBe(true);
    expect(await b.tryAcquire('exclusive', 5_000)).not.toBeNull();
  });

  it('is taken over within the lease time when its holder dies', async () => {
    const started = Date.now();
    expect(await leases(dead).tryAcquire('takeover', 600)).not.toBeNull();
    const took = new Promise<number>((resolve) => {
      leases().singleton('takeover', 600, async (lease) => {
        resolve(Date.now() - started);
        await new Promise((done) => {
          lease.signal.addEventListener('abort', done);
        });
      });
    });
    const after = await took;
    // Not before the dead holder's lease ran out, and at most a fifth of the ttl after.
    expect(after).toBeGreaterThanOrEqual(550);
    expect(after).toBeLessThan(600 * 1.2 + 250);
  });

  it('is not taken over while its holder is alive and renewing (negative twin)', async () => {
    expect(await leases().tryAcquire('alive', 300)).not.toBeNull();
    let taken = false;
    const contender = leases().singleton('alive', 300, async () => {
      taken = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    await contender.stop();
    expect(taken).toBe(false);
  });

  it('tells a holder that its lease was lost once someone else took it', async () => {
    const time = new ManualTime();
    const stale: Lease | null = await leases(time).tryAcquire('lost', 300);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await leases().tryAcquire('lost', 5_000)).not.toBeNull();
    expect(stale!.signal.aborted).toBe(false);
    // The stale holder wakes up and tries to renew: the token no longer matches.
    await time.advance(100);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(stale!.signal.aborted).toBe(true);
  });
});
