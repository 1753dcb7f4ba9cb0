import { performance } from 'node:perf_hooks';
import type { Cancel, Clock, MonotonicClock, Timers } from '../../ports/clock.js';

export const systemClock: Clock = { now: () => Date.now() };

export const monotonicClock: MonotonicClock = { now: () => performance.now() };

/** Real timers; unref'd so a pending timer never keeps the process alive on its own. */
export const systemTimers: Timers = {
  after(ms: number, fn: () => void): Cancel {
    const handle = setTimeout(fn, Math.min(ms, 2_147_483_647));
    handle.unref();
    return () => {
      clearTimeout(handle);
    };
  },
};
