import type { DeliveryWorker } from '../../app/delivery-worker.js';
import type { PollLoop } from '../../app/poll-loop.js';
import type { Sentinel } from '../../app/sentinel.js';
import type { Cancel, Timers } from '../../ports/clock.js';
import type { JobRuntime, Role } from '../../ports/jobs.js';
import type { Logger } from '../../ports/logger.js';

/**
 * Poll and delivery work run in this process, in both modes: what differs between one process and
 * a cluster is behind the poll loop's due times and the delivery worker's claims, not here. The
 * `api` role does neither. In a cluster (`reloadMs` set) the process also re-reads channels other
 * processes changed, and schedules those it had not seen (the api process already did; a worker
 * that started first had not).
 */
export class InProcessJobs implements JobRuntime {
  private readonly deps: {
    readonly poll: Pick<PollLoop, 'start' | 'stop' | 'scheduleMissing'>;
    readonly delivery: Pick<DeliveryWorker, 'start' | 'stop' | 'nudge'>;
    readonly sentinel: Pick<Sentinel, 'load' | 'channelIds'>;
    readonly role: Role;
    readonly reloadMs: number | null;
    readonly timers: Timers;
    readonly logger: Logger;
  };
  private reloadTimer: Cancel | null = null;
  private reloading: Promise<void> | null = null;
  private stopped = false;

  constructor(deps: InProcessJobs['deps']) {
    this.deps = deps;
  }

  async start(): Promise<void> {
    this.scheduleReload();
    if (this.deps.role === 'api') return;
    await this.deps.poll.start();
    this.deps.delivery.start();
  }

  deliveriesQueued(): void {
    // An api process commits no decisions of its own; workers look at the outbox often.
    if (this.deps.role !== 'api') this.deps.delivery.nudge();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.reloadTimer?.();
    await this.reloading;
    if (this.deps.role === 'api') return;
    await this.deps.poll.stop();
    await this.deps.delivery.stop();
  }

  private scheduleReload(): void {
    const { reloadMs } = this.deps;
    if (reloadMs === null || this.stopped) return;
    this.reloadTimer = this.deps.timers.after(reloadMs, () => {
      this.reloading = this.reload()
        .catch((err: unknown) => {
          this.deps.logger.error({ err }, 'could not reload channels from the store');
        })
        .finally(() => {
          this.reloading = null;
          this.scheduleReload();
        });
    });
  }

  private async reload(): Promise<void> {
    const known = new Set(this.deps.sentinel.channelIds());
    await this.deps.sentinel.load();
    const added = this.deps.sentinel.channelIds().filter((id) => !known.has(id));
    if (added.length > 0 && this.deps.role !== 'api') await this.deps.poll.scheduleMissing(added);
  }
}
