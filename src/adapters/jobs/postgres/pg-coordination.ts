import type { MonotonicClock, Timers } from '../../../ports/clock.js';
import type { Coordination } from '../../../ports/coordination.js';
import type { Logger } from '../../../ports/logger.js';
import { PostgresBus } from '../../bus/pg-bus.js';
import { PostgresDueTimes } from './pg-due-times.js';
import { PostgresLeases } from './pg-leases.js';
import { coordinationPool, ensureCoordinationTables } from './pg-schema.js';

/** Coordination and due times of a cluster, over the deployment's PostgreSQL database alone. */
export interface PostgresCoordination extends Coordination {
  readonly dueTimes: PostgresDueTimes;
}

/** Opens the coordination adapters on `url` (creating their tables) and starts listening. */
export async function openPostgresCoordination(deps: {
  readonly url: string;
  readonly poolSize: number;
  readonly leaseMs: number;
  readonly clock: MonotonicClock;
  readonly timers: Timers;
  readonly logger: Logger;
}): Promise<PostgresCoordination> {
  const pool = coordinationPool(deps.url, deps.poolSize);
  // An idle client's error (the server restarted) is reported here; the next query reconnects.
  pool.on('error', (err) => {
    deps.logger.warn({ err }, 'coordination connection lost');
  });
  try {
    await ensureCoordinationTables(pool);
    const bus = new PostgresBus({
      pool,
      url: deps.url,
      timers: deps.timers,
      logger: deps.logger.child({ component: 'bus' }),
    });
    await bus.start();
    const leases = new PostgresLeases({
      pool,
      clock: deps.clock,
      timers: deps.timers,
      logger: deps.logger.child({ component: 'leases' }),
    });
    return {
      leases,
      bus,
      leaseMs: deps.leaseMs,
      dueTimes: new PostgresDueTimes(pool),
      async close() {
        await leases.close();
        await bus.close();
        await pool.end();
      },
    };
  } catch (error) {
    await pool.end();
    throw error;
  }
}
