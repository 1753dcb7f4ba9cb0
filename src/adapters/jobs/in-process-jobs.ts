import type { DeliveryWorker } from '../../app/delivery-worker.js';
import type { PollLoop } from '../../app/poll-loop.js';
import type { Clock, Timers } from '../../ports/clock.js';
import type { JobRuntime } from '../../ports/jobs.js';
import type { Logger } from '../../ports/logger.js';
import { MemoryLeases } from './memory-leases.js';

/** The embedded default: the poll loop and the delivery worker run in this process, as always. */
export class InProcessJobs implements JobRuntime {
  readonly leases: MemoryLeases;
  private readonly poll: Pick<PollLoop, 'start' | 'stop'>;
  private readonly delivery: Pick<DeliveryWorker, 'start' | 'stop' | 'nudge'>;

  constructor(deps: {
    readonly poll: Pick<PollLoop, 'start' | 'stop'>;
    readonly delivery: Pick<DeliveryWorker, 'start' | 'stop' | 'nudge'>;
    readonly clock: Clock;
    readonly timers: Timers;
    readonly logger: Logger;
  }) {
    this.poll = deps.poll;
    this.delivery = deps.delivery;
    this.leases = new MemoryLeases(
      deps.clock,
      deps.timers,
      deps.logger.child({ component: 'leases' }),
    );
  }

  start(): Promise<void> {
    this.poll.start();
    this.delivery.start();
    return Promise.resolve();
  }

  deliveriesQueued(): void {
    this.delivery.nudge();
  }

  async stop(): Promise<void> {
    await this.poll.stop();
    await this.delivery.stop();
  }
}
