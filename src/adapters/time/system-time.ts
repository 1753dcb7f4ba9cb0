import type { Cancel, Clock, Timers } from '../../ports/clock.js';

export const systemClock: Clock = { now: () => Date.now() };

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
