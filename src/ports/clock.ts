import type { Instant } from '../core/time.js';

/** Wall-clock time. Tests use a manual clock advanced by hand. */
export interface Clock {
  now(): Instant;
}

/**
 * Milliseconds on a clock that only moves forward (not wall time, no meaningful origin): due
 * times, leases and durations, which a step of the wall clock must not move.
 */
export interface MonotonicClock {
  now(): number;
}

/** A cancellable timer. */
export type Cancel = () => void;

/** Timers, so loops can be driven by a fake scheduler in tests. */
export interface Timers {
  /** Calls `fn` once after `ms` milliseconds; the returned function cancels it. */
  after(ms: number, fn: () => void): Cancel;
}
