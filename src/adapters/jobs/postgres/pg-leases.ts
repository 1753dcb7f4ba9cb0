import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { MonotonicClock, Timers } from '../../../ports/clock.js';
import type { Lease, Leases, Singleton } from '../../../ports/jobs.js';
import type { Logger } from '../../../ports/logger.js';
import { runSingleton } from '../singleton.js';
import { NOW_MS } from './pg-schema.js';

/**
 * Leases as rows of the `leases` table with a holder token and an expiry on the database's clock:
 * an upsert that only overwrites an expired row takes one, a holder-checked update renews it every
 * ttl/3, a holder-checked delete releases it. A holder that dies stops renewing and its row
 * expires within the ttl; a holder that cannot reach the database for a whole ttl (measured on its
 * own monotonic clock) counts the lease as lost and stops the work it guards.
 */
export class PostgresLeases implements Leases {
  private readonly pool: pg.Pool;
  private readonly clock: MonotonicClock;
  private readonly timers: Timers;
  private readonly logger: Logger;
  private readonly held = new Set<Lease>();

  constructor(deps: {
    readonly pool: pg.Pool;
    readonly clock: MonotonicClock;
    readonly timers: Timers;
    readonly logger: Logger;
  }) {
    this.pool = deps.pool;
    this.clock = deps.clock;
    this.timers = deps.timers;
    this.logger = deps.logger;
  }

  async tryAcquire(name: string, ttlMs: number): Promise<Lease | null> {
    const holder = randomUUID();
    const ttl = Math.max(1, Math.round(ttlMs));
    const asked = this.clock.now();
    const taken = await this.pool.query(
      `INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, ${NOW_MS} + $3::bigint)
       ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
       WHERE leases.expires_at < ${NOW_MS}
       RETURNING holder`,
      [name, holder, ttl],
    );
    if (taken.rowCount !== 1) return null;
    const lost = new AbortController();
    let released = false;
    let cancel = (): void => undefined;
    // Counted from when it was asked for: the row may have been written any time after that.
    let renewedAt = asked;
    const lease: Lease = {
      name,
      signal: lost.signal,
      release: async () => {
        if (released) return;
        released = true;
        cancel();
        this.held.delete(lease);
        lost.abort();
        await this.pool
          .query('DELETE FROM leases WHERE name = $1 AND holder = $2', [name, holder])
          .catch((err: unknown) => {
            // It expires on its own within the ttl.
            this.logger.warn({ lease: name, err }, 'could not release lease');
          });
      },
    };
    const loseIt = (why: string, err?: unknown): void => {
      this.logger.warn({ lease: name, err }, why);
      lease.release().catch(() => undefined);
    };
    const renew = (): void => {
      cancel = (): void => undefined;
      const sent = this.clock.now();
      this.pool
        .query(
          `UPDATE leases SET expires_at = ${NOW_MS} + $3::bigint WHERE name = $1 AND holder = $2`,
          [name, holder, ttl],
        )
        .then(
          (result) => {
            if (released) return;
            if (result.rowCount !== 1) {
              loseIt('lease lost: taken over after it expired');
              return;
            }
            renewedAt = sent;
            cancel = this.timers.after(ttl / 3, renew);
          },
          (err: unknown) => {
            if (released) return;
            // Keep trying while the lease may still be ours; past the ttl someone else may hold it.
            if (this.clock.now() - renewedAt >= ttl)
              loseIt('lease lost: could not renew it in time', err);
            else cancel = this.timers.after(Math.min(ttl / 10, 1_000), renew);
          },
        )
        .catch((err: unknown) => {
          this.logger.error({ lease: name, err }, 'lease renewal bug');
        });
    };
    cancel = this.timers.after(ttl / 3, renew);
    this.held.add(lease);
    return lease;
  }

  singleton(name: string, ttlMs: number, task: (lease: Lease) => Promise<void>): Singleton {
    return runSingleton(this, this.timers, this.logger, name, ttlMs, task);
  }

  /** Releases every lease still held. */
  async close(): Promise<void> {
    await Promise.all([...this.held].map((lease) => lease.release()));
  }
}
