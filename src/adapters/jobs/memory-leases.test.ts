import { expect, it } from 'vitest';
import { ManualTime } from '../../../test/fakes/manual-time.js';
import type { Logger } from '../../ports/logger.js';
import { MemoryLeases } from './memory-leases.js';

const quiet: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => quiet,
};

it('holds a lease while renewing it, and hands it over on release', async () => {
  const time = new ManualTime();
  const leases = new MemoryLeases(time, time, quiet);
  const a = await leases.tryAcquire('x', 1_000);
  expect(a).not.toBeNull();
  await time.advance(5_000);
  expect(await leases.tryAcquire('x', 1_000)).toBeNull();
  await a!.release();
  expect(a!.signal.aborted).toBe(true);
  expect(await leases.tryAcquire('x', 1_000)).not.toBeNull();
});

it('runs a singleton task once the lease is free', async () => {
  const time = new ManualTime();
  const leases = new MemoryLeases(time, time, quiet);
  const held = await leases.tryAcquire('s', 1_000);
  const runs: number[] = [];
  const singleton = leases.singleton('s', 1_000, async (lease) => {
    runs.push(time.now());
    await new Promise((resolve) => {
      lease.signal.addEventListener('abort', resolve);
    });
  });
  await time.advance(2_000);
  expect(runs).toEqual([]);
  await held!.release();
  await time.advance(200);
  expect(runs).toHaveLength(1);
  await singleton.stop();
  expect(await leases.tryAcquire('s', 1_000)).not.toBeNull();
});
