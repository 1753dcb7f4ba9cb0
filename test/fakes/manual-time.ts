import type { Cancel, Clock, Timers } from '../../src/ports/clock.js';

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
      this.current = next.at;
      next.fn();
      await settle();
    }
    this.current = end;
    await settle();
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
