import type { MonotonicClock, Timers } from '../../ports/clock.js';
import type { Coordination } from '../../ports/coordination.js';
import type { Logger } from '../../ports/logger.js';
import { MemoryBus } from '../bus/memory-bus.js';
import { MemoryLeases } from './memory-leases.js';

/** Coordination of the embedded mode: leases and broadcast within this one process. */
export function memoryCoordination(deps: {
  readonly clock: MonotonicClock;
  readonly timers: Timers;
  readonly logger: Logger;
  readonly leaseMs: number;
}): Coordination {
  return {
    leases: new MemoryLeases(deps.clock, deps.timers, deps.logger.child({ component: 'leases' })),
    bus: new MemoryBus(),
    leaseMs: deps.leaseMs,
    close: () => Promise.resolve(),
  };
}
