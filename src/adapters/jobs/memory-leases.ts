import { randomUUID } from 'node:crypto';
import type { MonotonicClock, Timers } from '../../ports/clock.js';
import type { Lease, Leases, Singleton } from '../../ports/jobs.js';
import type { Logger } from '../../ports/logger.js';
import { runSingleton } from './singleton.js';

/** Leases within one process (the embedded mode), on the monotonic clock. */
export class MemoryLeases implements Leases {
  private readonly held = new Map<string, { token: string; until: number }>();
  private readonly clock: MonotonicClock;
  private readonly timers: Timers;
  private readonly logger: Logger;

  constructor(clock: MonotonicClock, timers: Timers, logger: Logger) {
    this.clock = clock;
    this.timers = timers;
    this.logger = logger;
  }

  tryAcquire(name: string, ttlMs: number): Promise<Lease | null> {
    const now = this.clock.now();
    const current = this.held.get(name);
    if (current && current.until > now) return Promise.resolve(null);
    const token = randomUUID();
    this.held.set(name, { token, until: now + ttlMs });
    const lost = new AbortController();
    let cancel = this.timers.after(ttlMs / 3, renew);
    const held = this.held;
    const clock = this.clock;
    const timers = this.timers;
    function renew(): void {
      const entry = held.get(name);
      if (entry?.token !== token) {
        lost.abort();
        return;
      }
      entry.until = clock.now() + ttlMs;
      cancel = timers.after(ttlMs / 3, renew);
    }
    return Promise.resolve({
      name,
      signal: lost.signal,
      release: () => {
        cancel();
        if (held.get(name)?.token === token) held.delete(name);
        lost.abort();
        return Promise.resolve();
      },
    });
  }

  singleton(name: string, ttlMs: number, task: (lease: Lease) => Promise<void>): Singleton {
    return runSingleton(this, this.timers, this.logger, name, ttlMs, task);
  }
}
