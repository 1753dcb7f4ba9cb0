import type { Cancel, Clock, MonotonicClock, Timers } from '../../src/ports/clock.js';

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
}

/** A clock and timers advanced by hand: no sleeps in tests. */
export class ManualTime implements Clock, Timers {
  private current: number;
  private seq = 0;
  private pending: Pending[] = [];
  /** Time advanced so far: `set` (a wall-clock step) does not move it. */
  private elapsed = 0;
  /** The monotonic clock that goes with this wall clock. */
  readonly monotonic: MonotonicClock = { now: () => this.elapsed };

  constructor(start = Date.parse('2026-01-01T00:00:00Z')) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  after(ms: number, fn: () => void): Cancel {
    const entry = { at: this.current + Math.max(0, ms), seq: this.seq++, fn };
    this.pending.push(entry);
    return () => {
      this.pending = this.pending.filter((p) => p !== entry);
    };
  }

  /** Moves time forward, firing due timers in order and letting promise chains settle. */
  async advance(ms: number): Promise<void> {
    const end = this.current + ms;
    for (;;) {
      this.pending.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.pending[0];
      if (!next || next.at > end) break;
      this.pending.shift();
      this.elapsed += next.at - this.current;
      this.current = next.at;
      next.fn();
      await settle();
    }
    this.elapsed += end - this.current;
    this.current = end;
    await settle();
  }

  /**
   * Steps the wall clock by `deltaMs` (negative: backwards), as an NTP correction or an operator
   * would: timers and the monotonic clock do not notice, just as real ones do not.
   */
  stepWall(deltaMs: number): void {
    this.current += deltaMs;
    for (const p of this.pending) p.at += deltaMs;
  }

  /** Sets the time without firing timers (for driving steps by hand). */
  set(at: number): void {
    this.current = at;
  }
}

/** Lets queued promise callbacks and I/O callbacks run. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
