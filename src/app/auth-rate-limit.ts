import type { Clock } from '../ports/clock.js';

export interface FailureLimiterOptions {
  readonly clock: Clock;
  /** Failed authentications an address may make per window before it is refused. */
  readonly maxFailures: number;
  readonly windowMs: number;
  /**
   * Addresses below the limit remembered at most; the oldest are forgotten first, so a flood
   * cannot exhaust memory. Blocked addresses are kept until their window ends (up to ten times
   * this many), so failures from other addresses cannot flush a blocked one out.
   */
  readonly maxTracked: number;
}

interface Window {
  failures: number;
  resetAt: number;
}

/**
 * Rate limit for failed authentication, per client address, in fixed windows. Once an address
 * reaches `maxFailures` in a window, its further failures are refused (429) until the window
 * ends; a valid credential from it is still accepted (the HTTP layer checks before refusing).
 */
export class FailureLimiter {
  private readonly options: FailureLimiterOptions;
  /** Addresses below the limit, oldest window first (Map order is insertion order). */
  private readonly windows = new Map<string, Window>();
  /** Addresses at the limit: moved here so that no flood of new addresses evicts them. */
  private readonly blocked = new Map<string, Window>();

  constructor(options: FailureLimiterOptions) {
    this.options = options;
  }

  /** Milliseconds until `ip` may try again; 0 when it is not blocked. */
  retryAfterMs(ip: string): number {
    const window = this.current(ip);
    if (!window || window.failures < this.options.maxFailures) return 0;
    return window.resetAt - this.options.clock.now();
  }

  recordFailure(ip: string): void {
    const now = this.options.clock.now();
    let window = this.current(ip);
    if (!window) {
      window = { failures: 0, resetAt: now + this.options.windowMs };
      this.windows.set(ip, window);
      this.evict();
    }
    window.failures++;
    if (window.failures >= this.options.maxFailures && this.windows.delete(ip)) {
      this.blocked.set(ip, window);
      this.evictBlocked(now);
    }
  }

  /** Addresses tracked now (for tests and metrics). */
  get size(): number {
    return this.windows.size + this.blocked.size;
  }

  private current(ip: string): Window | undefined {
    const now = this.options.clock.now();
    for (const map of [this.blocked, this.windows]) {
      const window = map.get(ip);
      if (!window) continue;
      if (window.resetAt > now) return window;
      map.delete(ip);
    }
    return undefined;
  }

  /** Map order is insertion order: the first entries are the oldest windows. */
  private evict(): void {
    for (const ip of this.windows.keys()) {
      if (this.windows.size <= this.options.maxTracked) return;
      this.windows.delete(ip);
    }
  }

  /** Ends blocks whose window is over; only past the hard ceiling the oldest block goes early. */
  private evictBlocked(now: number): void {
    if (this.blocked.size <= this.options.maxTracked) return;
    for (const [ip, window] of this.blocked) {
      if (window.resetAt <= now || this.blocked.size > this.options.maxTracked * 10)
        this.blocked.delete(ip);
      if (this.blocked.size <= this.options.maxTracked) return;
    }
  }
}
