import type { Clock } from '../ports/clock.js';

export interface FailureLimiterOptions {
  readonly clock: Clock;
  /** Failed authentications an address may make per window before it is refused. */
  readonly maxFailures: number;
  readonly windowMs: number;
  /** Addresses remembered at most; the oldest are forgotten first, so a flood cannot exhaust memory. */
  readonly maxTracked: number;
}

interface Window {
  failures: number;
  resetAt: number;
}

/**
 * Rate limit for failed authentication, per client address, in fixed windows. Once an address
 * reaches `maxFailures` in a window, every authenticated request from it is refused until the
 * window ends — a valid token included, so guessing cannot go on by telling successes apart.
 */
export class FailureLimiter {
  private readonly options: FailureLimiterOptions;
  private readonly windows = new Map<string, Window>();

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
  }

  private current(ip: string): Window | undefined {
    const window = this.windows.get(ip);
    if (window && window.resetAt <= this.options.clock.now()) {
      this.windows.delete(ip);
      return undefined;
    }
    return window;
  }

  /** Map order is insertion order: the first entries are the oldest windows. */
  private evict(): void {
    for (const ip of this.windows.keys()) {
      if (this.windows.size <= this.options.maxTracked) return;
      this.windows.delete(ip);
    }
  }
}
