import type { Timers } from '../../ports/clock.js';
import type { Lease, Leases, Singleton } from '../../ports/jobs.js';
import type { Logger } from '../../ports/logger.js';

/** `Leases.singleton` over any `tryAcquire`: try, run while held, release, try again. */
export function runSingleton(
  leases: Pick<Leases, 'tryAcquire'>,
  timers: Timers,
  logger: Logger,
  name: string,
  ttlMs: number,
  task: (lease: Lease) => Promise<void>,
): Singleton {
  const stopping = new AbortController();
  // A call, not a variable: it changes while `attempt` awaits.
  const stopped = () => stopping.signal.aborted;
  let cancel: (() => void) | null = null;
  let current: { lease: Lease; done: Promise<void> } | null = null;
  const attempt = async (): Promise<void> => {
    cancel = null;
    if (stopped()) return;
    const lease = await leases.tryAcquire(name, ttlMs).catch((err: unknown) => {
      // Redis briefly away: not now, try again at the next turn.
      logger.warn({ lease: name, err }, 'could not try to take lease');
      return null;
    });
    if (lease && stopped()) await lease.release();
    else if (lease) {
      const done = task(lease)
        .catch((err: unknown) => {
          logger.error({ lease: name, err }, 'singleton task failed; releasing its lease');
        })
        .finally(() => lease.release());
      current = { lease, done };
      await done;
      current = null;
    }
    if (!stopped()) cancel = timers.after(ttlMs / 5, start);
  };
  // `attempt` catches what it awaits; this only reports a bug in it.
  const start = (): void => {
    attempt().catch((err: unknown) => {
      logger.error({ lease: name, err }, 'singleton attempt failed');
    });
  };
  start();
  return {
    async stop() {
      stopping.abort();
      cancel?.();
      // `attempt` clears `current` once the task settles, which the release below may cause.
      const running = current;
      if (running) {
        await running.lease.release();
        await running.done;
      }
    },
  };
}
