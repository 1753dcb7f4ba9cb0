import type { Instant } from '../core/time.js';

/** Wall-clock time. Tests use a manual clock advanced by hand. */
export interface Clock {
  now(): Instant;
}

/** A cancellable timer. */
export type Cancel = () => void;

/** Timers, so loops can be driven by a fake scheduler in tests. */
export interface Timers {
  /** Calls `fn` once after `ms` milliseconds; the returned function cancels it. */
  after(ms: number, fn: () => void): Cancel;
}
