import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ManualTime, settle } from '../../test/fakes/manual-time.js';
import { Supervisor } from './supervisor.js';

function setup(random = () => 0.5) {
  const time = new ManualTime();
  const failures: string[] = [];
  const supervisor = new Supervisor({
    clock: time,
    timers: time,
    logger: pino({ level: 'silent' }),
    metrics: {
      taskFailed: (task) => {
        failures.push(task);
      },
    },
    random,
    restart: { baseMs: 1_000, maxMs: 60_000 },
  });
  return { time, failures, supervisor };
}

/** A promise that resolves when `signal` aborts. */
function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else
      signal.addEventListener(
        'abort',
        () => {
          resolve();
        },
        { once: true },
      );
  });
}

describe('Supervisor', () => {
  it('restarts a failing loop with a growing, jittered backoff and counts each failure', async () => {
    const { time, failures, supervisor } = setup();
    const starts: number[] = [];
    const t0 = time.now();
    supervisor.loop('poll', () => {
      starts.push(time.now() - t0);
      return Promise.reject(new Error('SQLITE_BUSY: database is locked'));
    });
    await settle();
    await time.advance(20_000);
    // random 0.5 → 3/4 of each step: 750, 1500, 3000, 6000 ms apart.
    expect(starts).toEqual([0, 750, 2_250, 5_250, 11_250]);
    expect(failures).toEqual(['poll', 'poll', 'poll', 'poll', 'poll']);
    expect(supervisor.health()).toEqual([
      {
        name: 'poll',
        failures: 5,
        lastError: 'SQLITE_BUSY: database is locked',
        failingSince: t0,
      },
    ]);
    await supervisor.stop();
  });

  it('caps the backoff and spreads it with jitter', async () => {
    const draws = [0, 0.999];
    let i = 0;
    const { time, supervisor } = setup(() => draws[i++ % 2] ?? 0);
    const starts: number[] = [];
    supervisor.loop('x', () => {
      starts.push(time.now());
      return Promise.reject(new Error('down'));
    });
    await settle();
    await time.advance(10 * 60_000);
    const gaps = starts.slice(1).map((s, k) => s - (starts[k] ?? 0));
    expect(Math.max(...gaps)).toBeLessThanOrEqual(60_000);
    expect(gaps.slice(-4).some((g) => g < 31_000)).toBe(true);
    expect(gaps.slice(-4).some((g) => g > 59_000)).toBe(true);
    await supervisor.stop();
  });

  it('starts the backoff over once the body reports itself healthy', async () => {
    const { time, supervisor } = setup();
    let runs = 0;
    supervisor.loop('delivery', async (signal, healthy) => {
      runs += 1;
      if (runs <= 3) throw new Error('store down');
      healthy();
      await aborted(signal);
    });
    await settle();
    await time.advance(10_000);
    expect(runs).toBe(4);
    expect(supervisor.health()[0]).toMatchObject({ failures: 0, lastError: null });
    await supervisor.stop();
  });

  it('treats a loop that ends on its own as a failure and restarts it', async () => {
    const { time, failures, supervisor } = setup();
    let runs = 0;
    supervisor.loop('refresher', () => {
      runs += 1;
      return Promise.resolve();
    });
    await settle();
    await time.advance(1_000);
    expect(runs).toBe(2);
    expect(failures).toEqual(['refresher', 'refresher']);
    expect(supervisor.health()[0]?.lastError).toBe('ended before it was stopped');
    await supervisor.stop();
  });

  it('runs a one-shot at its interval and retries a failure sooner', async () => {
    const { time, failures, supervisor } = setup();
    const runs: number[] = [];
    const t0 = time.now();
    let fail = false;
    supervisor.every('calendar', 10_000, () => {
      runs.push(time.now() - t0);
      return fail ? Promise.reject(new Error('feed down')) : Promise.resolve();
    });
    await time.advance(10_000);
    expect(runs).toEqual([0, 10_000]);
    fail = true;
    await time.advance(11_000);
    expect(runs).toEqual([0, 10_000, 20_000, 20_750]);
    fail = false;
    await time.advance(20_000);
    expect(runs.slice(4)).toEqual([22_250, 32_250]);
    expect(failures).toEqual(['calendar', 'calendar']);
    expect(supervisor.health()[0]?.failures).toBe(0);
    await supervisor.stop();
  });

  it('keeps a rejection of a spawned body from the process and counts it', async () => {
    const { failures, supervisor } = setup();
    supervisor.spawn('evaluate', () => Promise.reject(new Error('boom')));
    await settle();
    expect(failures).toEqual(['evaluate']);
    await supervisor.stop();
  });

  it('stops every body and waits for it to settle', async () => {
    const { time, supervisor } = setup();
    let finished = 0;
    supervisor.loop('a', async (signal) => {
      await aborted(signal);
      finished += 1;
    });
    supervisor.spawn('b', async (signal) => {
      await aborted(signal);
      finished += 1;
    });
    let ran = 0;
    supervisor.every('c', 1_000, () => {
      ran += 1;
      return Promise.resolve();
    });
    await time.advance(2_500);
    expect(ran).toBe(3);
    await supervisor.stop();
    expect(finished).toBe(2);
    await time.advance(10_000);
    expect(ran).toBe(3);
  });

  it('does not count a body that fails because it was stopped', async () => {
    const { failures, supervisor } = setup();
    supervisor.loop('a', async (signal) => {
      await aborted(signal);
      throw new Error('aborted');
    });
    await supervisor.stop();
    expect(failures).toEqual([]);
  });

  it('stops one task alone, after which its name can be supervised again', async () => {
    const { time, supervisor } = setup();
    let a = 0;
    let b = 0;
    const task = supervisor.every('a', 1_000, () => {
      a += 1;
      return Promise.resolve();
    });
    supervisor.every('b', 1_000, () => {
      b += 1;
      return Promise.resolve();
    });
    await time.advance(1_500);
    await task.stop();
    await time.advance(2_000);
    expect([a, b]).toEqual([2, 4]);
    supervisor.every('a', 1_000, () => {
      a += 1;
      return Promise.resolve();
    });
    await time.advance(500);
    expect(a).toBe(3);
    await supervisor.stop();
  });

  it('refuses two tasks of one name', async () => {
    const { supervisor } = setup();
    supervisor.every('x', 1_000, () => Promise.resolve());
    expect(() => {
      supervisor.every('x', 1_000, () => Promise.resolve());
    }).toThrow(/already supervised/);
    await supervisor.stop();
  });
});
