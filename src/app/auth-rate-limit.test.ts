import { describe, expect, it } from 'vitest';
import { FailureLimiter } from './auth-rate-limit.js';

describe('FailureLimiter', () => {
  const make = (now: { t: number }, maxTracked = 100) =>
    new FailureLimiter({
      clock: { now: () => now.t },
      maxFailures: 3,
      windowMs: 60_000,
      maxTracked,
    });

  it('blocks an address after maxFailures in a window, until the window ends', () => {
    const now = { t: 1_000 };
    const limiter = make(now);
    limiter.recordFailure('1.1.1.1');
    limiter.recordFailure('1.1.1.1');
    expect(limiter.retryAfterMs('1.1.1.1')).toBe(0);
    now.t += 10_000;
    limiter.recordFailure('1.1.1.1');
    expect(limiter.retryAfterMs('1.1.1.1')).toBe(50_000);
    expect(limiter.retryAfterMs('2.2.2.2')).toBe(0);
    now.t += 50_000;
    expect(limiter.retryAfterMs('1.1.1.1')).toBe(0);
    limiter.recordFailure('1.1.1.1');
    expect(limiter.retryAfterMs('1.1.1.1')).toBe(0);
  });

  it('forgets the oldest unblocked addresses beyond maxTracked, never a blocked one', () => {
    const now = { t: 0 };
    const limiter = make(now, 2);
    for (const ip of ['a', 'b']) for (let i = 0; i < 3; i++) limiter.recordFailure(ip);
    limiter.recordFailure('c');
    limiter.recordFailure('d');
    limiter.recordFailure('e');
    expect(limiter.retryAfterMs('a')).toBeGreaterThan(0);
    expect(limiter.retryAfterMs('b')).toBeGreaterThan(0);
    expect(limiter.size).toBe(4);
  });

  it('cannot be flushed: 10,000 other failing addresses leave a blocked one blocked (issue 22)', () => {
    const now = { t: 0 };
    const limiter = make(now, 10_000);
    for (let i = 0; i < 3; i++) limiter.recordFailure('203.0.113.7');
    for (let i = 0; i < 20_000; i++)
      limiter.recordFailure(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`);
    expect(limiter.retryAfterMs('203.0.113.7')).toBe(60_000);
    expect(limiter.size).toBeLessThanOrEqual(10_001);
    now.t += 60_000;
    expect(limiter.retryAfterMs('203.0.113.7')).toBe(0);
  });
});
