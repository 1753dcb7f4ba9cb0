import { createHash } from 'node:crypto';
import { Queue, RedisConnection, Worker, type Job } from 'bullmq';
import type { DeliveryWorker } from '../../../app/delivery-worker.js';
import type { PollLoop } from '../../../app/poll-loop.js';
import type { Sentinel } from '../../../app/sentinel.js';
import type { Cancel, Clock, Timers } from '../../../ports/clock.js';
import type { JobRuntime, Role } from '../../../ports/jobs.js';
import type { Logger } from '../../../ports/logger.js';
import { RedisLeases } from './redis-leases.js';

export interface BullmqJobsDeps {
  readonly redisUrl: string;
  /** Prefix of every Redis key (queues, leases, schedules): one per deployment. */
  readonly prefix: string;
  readonly role: Role;
  readonly sentinel: Sentinel;
  /** Probes one channel and hands the observation to the sentinel (never started as a loop here). */
  readonly poll: Pick<PollLoop, 'checkNow'>;
  /** Drains the outbox with claims (`claimMs`), so several workers may drain at once. */
  readonly delivery: Pick<DeliveryWorker, 'start' | 'stop' | 'nudge' | 'settle'>;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly logger: Logger;
  readonly random: () => number;
  readonly shards: number;
  /** How often each shard's tick fires: the granularity of poll intervals. */
  readonly tickMs: number;
  /** Time to live of a shard's lease; renewed every third of it while its tick runs. */
  readonly leaseMs: number;
  /** Probes at a time within one shard tick. */
  readonly probeConcurrency: number;
  /** Shard ticks at a time in one worker process. */
  readonly shardConcurrency: number;
  readonly defaultIntervalMs: number;
  readonly maxBackoffMs: number;
  /** How often to re-read channels and states that other processes may have changed. */
  readonly reloadMs: number;
}

const TICKS = 'ticks';
const DRAIN = 'drain';

/** The shard a channel belongs to: stable across processes and restarts. */
export function shardOf(channelId: string, shards: number): number {
  return createHash('sha1').update(channelId).digest().readUInt32BE(0) % shards;
}

/**
 * The scale-out job runtime on BullMQ (Redis).
 *
 * Polling: channels are hashed into shards; each shard's tick is a repeatable job (a BullMQ job
 * scheduler, upserted idempotently by every worker). Any worker may take a tick; it first takes
 * the shard's lease, so one shard is never polled by two workers at once, and a tick that finds
 * it held is skipped. The shard's next-due times live in a Redis hash, so it does not matter
 * which worker takes the next tick. A worker killed mid-tick stops renewing the lease; it expires
 * within `leaseMs` and the next tick (every `tickMs`) polls the shard elsewhere. The channels it
 * had in flight are probed again: decisions read state from the store and event ids are derived
 * from content, so a repeat adds no event and no delivery (the store's commit is idempotent).
 *
 * Deliveries: the SQL outbox stays the source of truth (ordering per channel and target,
 * attempts, provider message ids for later edits, all committed with the decision that caused
 * them). Workers claim due rows for a lease (`claimDueDeliveries`), so no two send one delivery,
 * and a dead worker's claims fall due again. BullMQ spreads the work: a committed delivery
 * queues a deduplicated `drain` job that any idle worker takes, besides the committing worker's
 * own nudge and every worker's idle look at the outbox.
 */
export class BullmqJobs implements JobRuntime {
  readonly leases: RedisLeases;
  private readonly deps: BullmqJobsDeps;
  private readonly ticks: Queue;
  private readonly drains: Queue;
  private readonly workers: Worker[] = [];
  private readonly dueConnection: RedisConnection;
  private reloadTimer: Cancel | null = null;
  /** Shard of each channel id seen: every tick filters all channels, so hash each id once. */
  private readonly shardCache = new Map<string, number>();
  private stopped = false;

  constructor(deps: BullmqJobsDeps) {
    this.deps = deps;
    const connection = { url: deps.redisUrl };
    this.ticks = new Queue(TICKS, { connection, prefix: deps.prefix });
    this.drains = new Queue(DRAIN, { connection, prefix: deps.prefix });
    this.dueConnection = new RedisConnection(
      { url: deps.redisUrl, maxRetriesPerRequest: null, commandTimeout: 5_000 },
      { shared: false },
    );
    this.leases = new RedisLeases({
      redisUrl: deps.redisUrl,
      prefix: deps.prefix,
      timers: deps.timers,
      logger: deps.logger.child({ component: 'leases' }),
    });
    // Errors of the queues' own connections are retried by ioredis; log rather than crash.
    for (const queue of [this.ticks, this.drains])
      queue.on('error', (err) => {
        deps.logger.warn({ err, queue: queue.name }, 'queue connection error');
      });
  }

  async start(): Promise<void> {
    this.scheduleReload();
    if (this.deps.role === 'api') return;
    await this.upsertSchedulers();
    const connection = { url: this.deps.redisUrl, maxRetriesPerRequest: null };
    const options = {
      connection,
      prefix: this.deps.prefix,
      // A killed worker's active tick is noticed as stalled this soon and dropped: the next
      // tick of the shard comes anyway.
      stalledInterval: Math.max(1_000, Math.min(this.deps.leaseMs, 30_000)),
      maxStalledCount: 0,
      lockDuration: Math.max(this.deps.leaseMs, 5_000),
    };
    const ticks = new Worker<{ shard: number }>(TICKS, (job) => this.tick(job), {
      ...options,
      concurrency: this.deps.shardConcurrency,
    });
    const drains = new Worker(DRAIN, () => this.deps.delivery.settle(), {
      ...options,
      concurrency: 1,
    });
    for (const worker of [ticks, drains]) {
      worker.on('error', (err) => {
        this.deps.logger.warn({ err, queue: worker.name }, 'worker connection error');
      });
      worker.on('failed', (job, err) => {
        this.deps.logger.error({ err, queue: worker.name, job: job?.id }, 'job failed');
      });
      this.workers.push(worker);
    }
    this.deps.delivery.start();
  }

  deliveriesQueued(): void {
    if (this.deps.role !== 'api') this.deps.delivery.nudge();
    // One waiting drain job is enough: it drains everything due when it runs.
    this.drains
      .add(
        'drain',
        {},
        { deduplication: { id: 'drain' }, removeOnComplete: true, removeOnFail: true },
      )
      .catch((err: unknown) => {
        // The outbox row is committed; an idle worker finds it within its idle poll.
        this.deps.logger.warn({ err }, 'could not queue a drain job');
      });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.reloadTimer?.();
    // Closing a worker waits for its running jobs: ticks finish and release their leases.
    await Promise.all(this.workers.map((w) => w.close()));
    if (this.deps.role !== 'api') await this.deps.delivery.stop();
    await this.leases.close();
    await Promise.all([this.ticks.close(), this.drains.close(), this.dueConnection.close()]);
  }

  /** One scheduler per shard, and none for shards beyond the configured count. */
  private async upsertSchedulers(): Promise<void> {
    const wanted = new Set<string>();
    for (let shard = 0; shard < this.deps.shards; shard++) {
      const id = `shard-${shard}`;
      wanted.add(id);
      await this.ticks.upsertJobScheduler(
        id,
        { every: this.deps.tickMs },
        { name: 'tick', data: { shard }, opts: { removeOnComplete: true, removeOnFail: true } },
      );
    }
    for (const scheduler of await this.ticks.getJobSchedulers()) {
      if (!wanted.has(scheduler.key)) await this.ticks.removeJobScheduler(scheduler.key);
    }
  }

  private scheduleReload(): void {
    this.reloadTimer = this.deps.timers.after(this.deps.reloadMs, () => {
      this.deps.sentinel
        .load()
        .catch((err: unknown) => {
          this.deps.logger.error({ err }, 'could not reload channels from the store');
        })
        .finally(() => {
          if (!this.stopped) this.scheduleReload();
        });
    });
  }

  /** Polls the shard's due channels, holding the shard's lease meanwhile. */
  private async tick(job: Job<{ shard: number }>): Promise<string> {
    const { shard } = job.data;
    const lease = await this.leases.tryAcquire(`shard:${shard}`, this.deps.leaseMs);
    if (!lease) return 'busy';
    try {
      const client = await this.dueConnection.client;
      const key = `${this.deps.prefix}:due:${shard}`;
      const dueAt = await client.hgetall(key);
      const now = this.deps.clock.now();
      const mine = this.deps.sentinel.channelIds().filter((id) => this.shardOf(id) === shard);
      const due = mine.filter((id) => Number(dueAt[id] ?? 0) <= now);
      // Under the shard's lease nobody else decides for these channels: one read for the tick.
      await this.deps.sentinel.prefetchStates(due);
      const next: Record<string, number> = {};
      let i = 0;
      const run = async (): Promise<void> => {
        while (i < due.length && !lease.signal.aborted && !this.stopped) {
          const id = due[i++]!;
          await this.deps.poll.checkNow(id);
          next[id] = this.nextDue(id);
        }
      };
      await Promise.all(
        Array.from({ length: Math.min(this.deps.probeConcurrency, due.length) }, run),
      );
      // Written only while still the holder: a lost lease means another worker owns the shard now.
      if (Object.keys(next).length > 0 && !lease.signal.aborted) await client.hset(key, next);
      const gone = Object.keys(dueAt).filter(
        (id) => this.shardOf(id) !== shard || this.deps.sentinel.channel(id) === undefined,
      );
      if (gone.length > 0) await client.hdel(key, ...gone);
      return `probed ${Object.keys(next).length}`;
    } finally {
      await lease.release();
    }
  }

  private shardOf(channelId: string): number {
    let shard = this.shardCache.get(channelId);
    if (shard === undefined) {
      shard = shardOf(channelId, this.deps.shards);
      this.shardCache.set(channelId, shard);
    }
    return shard;
  }

  /** The poll loop's rule: the channel's interval, doubled per failure up to the cap, ±10 % jitter. */
  private nextDue(channelId: string): number {
    const interval =
      this.deps.sentinel.channel(channelId)?.intervalMs ?? this.deps.defaultIntervalMs;
    const failures = this.deps.sentinel.state(channelId).consecutiveFailures;
    const base =
      failures === 0
        ? interval
        : Math.min(
            interval * 2 ** Math.min(failures, 16),
            Math.max(interval, this.deps.maxBackoffMs),
          );
    return this.deps.clock.now() + Math.round(base * (0.9 + 0.2 * this.deps.random()));
  }
}
