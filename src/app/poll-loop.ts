import { setMaxListeners } from 'node:events';
import type { Channel, Observation } from '../core/model.js';
import type { Cancel, Clock, Timers } from '../ports/clock.js';
import type { DueAt, DueEntry, DueTimes } from '../ports/due-times.js';
import type { Logger } from '../ports/logger.js';
import type { Metrics } from '../ports/metrics.js';
import type { PlatformAdapter } from '../ports/platform.js';
import type { Sentinel } from './sentinel.js';

export interface PollLoopDeps {
  readonly sentinel: Sentinel;
  readonly platforms: ReadonlyMap<string, PlatformAdapter>;
  /** When each channel is due: a heap in one process, a shared table in a cluster. */
  readonly dueTimes: DueTimes;
  /** Wall time, for the probe duration metric only: due times never read it. */
  readonly clock: Clock;
  readonly timers: Timers;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** In [0, 1); injected so tests are deterministic. */
  readonly random: () => number;
  readonly defaultIntervalMs: number;
  readonly concurrency: number;
  /** Longest wait a failing channel backs off to (unless its interval is longer). */
  readonly maxBackoffMs: number;
  /** First probes after start are spread over this window so they do not all fire at once. */
  readonly startSpreadMs: number;
  /** Interval multiplier for channels a working push source covers: polling only reconciles them. */
  readonly pushedIntervalFactor?: number;
  /**
   * How long a claimed channel stays away from others: longer than a probe takes. A process that
   * dies holding a claim delays that channel's probe by at most this.
   */
  readonly claimMs: number;
  /** Longest sleep before asking the due times again (other processes may have changed them). */
  readonly maxWaitMs: number;
}

/** Whether push covers a channel, shown in the API; when it does not, `reason` says why. */
export interface PushStatus {
  readonly mode: 'push' | 'poll';
  readonly reason: string | null;
}

/** A channel asked about a claimed channel this process does not know yet is asked again this soon. */
const UNKNOWN_RETRY_MS = 1_000;
/** After a due-times failure (database away), ask again this soon. */
const FAILURE_RETRY_MS = 1_000;

/**
 * The one poll scheduler. Probes every channel at its interval with ±10 % jitter, at most
 * `concurrency` probes at a time, backing off exponentially while a channel fails, polling channels
 * that push covers `pushedIntervalFactor` times less often, and probing a batching platform's
 * channels together (those due, topped up with those due within a quarter of their interval).
 * Due times live behind the `DueTimes` port, claimed before a probe, so one process or many run
 * this same code. Owns scheduling only: each observation goes to the sentinel.
 */
export class PollLoop {
  private readonly deps: PollLoopDeps;
  private readonly push = new Map<string, PushStatus>();
  private readonly stopping = new AbortController();
  private readonly idle = new Set<() => void>();
  /** Due-time writes in flight, so `stop` can wait for them. */
  private readonly writes = new Set<Promise<void>>();
  private timer: Cancel | null = null;
  /** Next due times of finished probes not written yet, and the write under way. */
  private pendingNext: DueAt[] = [];
  private rescheduling: Promise<void> | null = null;
  private running = 0;
  private releasing = false;
  /** Set when something may have fallen due while a release was running: release again. */
  private again = false;
  private started = false;

  constructor(deps: PollLoopDeps) {
    this.deps = deps;
    // Every request in flight listens for the stop (a probe may make several): not a leak.
    setMaxListeners(0, this.stopping.signal);
  }

  /** Schedules the channels known now that have no due time yet, and starts probing. */
  async start(): Promise<void> {
    this.started = true;
    await this.scheduleMissing(this.deps.sentinel.channelIds());
    this.kick();
  }

  /**
   * Gives the channels that have no due time yet one, spread over the start window (those that
   * have one, e.g. from another process of a cluster, keep it).
   */
  async scheduleMissing(channelIds: readonly string[]): Promise<void> {
    await this.deps.dueTimes.scheduleMissing(
      channelIds.flatMap((id) => {
        const c = this.deps.sentinel.channel(id);
        return c
          ? [
              {
                channelId: id,
                platform: c.platform,
                delayMs: Math.floor(this.deps.random() * this.deps.startSpreadMs),
              },
            ]
          : [];
      }),
    );
  }

  /** (Re)schedules a channel's next probe `delayMs` from now, e.g. after it was added or changed. */
  schedule(channelId: string, delayMs = 0): void {
    const channel = this.deps.sentinel.channel(channelId);
    if (!channel) return;
    this.write(
      this.deps.dueTimes.schedule([{ channelId, platform: channel.platform, delayMs }]),
      channelId,
    );
  }

  unschedule(channelId: string): void {
    this.push.delete(channelId);
    this.write(this.deps.dueTimes.remove([channelId]), channelId);
  }

  /** Probes a channel `delayMs` from now (e.g. to confirm a webhook the platform's status lags behind). */
  checkIn(channelId: string, delayMs: number): void {
    this.schedule(channelId, delayMs);
  }

  /**
   * Records whether push covers a channel. A covered channel is polled `pushedIntervalFactor`
   * times less often; when push stops covering it, it is polled at once and then at its interval.
   */
  setPush(channelId: string, status: PushStatus | null): void {
    const was = this.push.get(channelId)?.mode;
    if (status) this.push.set(channelId, status);
    else this.push.delete(channelId);
    if (was === 'push' && status?.mode !== 'push') this.schedule(channelId);
  }

  pushStatus(channelId: string): PushStatus | null {
    return this.push.get(channelId) ?? null;
  }

  /** Probes a channel now, outside its schedule (webhook confirmation, tests). */
  async checkNow(channelId: string): Promise<void> {
    const channel = this.deps.sentinel.channel(channelId);
    if (channel) await this.probe([channel]);
  }

  /** Resolves when no probe is running and none is being claimed (tests, shutdown). */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idle.add(resolve));
  }

  async stop(): Promise<void> {
    this.started = false;
    this.timer?.();
    this.timer = null;
    this.stopping.abort();
    await this.whenIdle();
    while (this.writes.size > 0) await Promise.all([...this.writes]);
  }

  private isIdle(): boolean {
    return this.running === 0 && !this.releasing;
  }

  private settled(): void {
    if (!this.isIdle()) return;
    for (const resolve of this.idle) resolve();
    this.idle.clear();
  }

  /** A due-time write; once it lands, due channels are released (a new channel may be due now). */
  private write(pending: Promise<void>, channelId: string): void {
    const tracked = pending.then(
      () => {
        this.wake();
      },
      (err: unknown) => {
        this.deps.logger.error({ channel: channelId, err }, 'could not write a due time');
      },
    );
    this.writes.add(tracked);
    tracked.finally(() => this.writes.delete(tracked)).catch(() => undefined);
  }

  /** Releases due channels at the next turn of the timers (a due time changed). */
  private wake(): void {
    if (!this.started) return;
    if (this.releasing) {
      this.again = true;
      return;
    }
    this.timer?.();
    this.timer = this.deps.timers.after(0, () => {
      this.timer = null;
      this.kick();
    });
  }

  /** Releases due channels now, or as soon as the running release is done. */
  private kick(): void {
    if (!this.started) return;
    if (this.releasing) {
      this.again = true;
      return;
    }
    this.releasing = true;
    this.timer?.();
    this.timer = null;
    this.release()
      .catch((err: unknown) => {
        this.deps.logger.error({ err }, 'could not claim due channels; trying again soon');
        return FAILURE_RETRY_MS;
      })
      .then((wait) => {
        this.releasing = false;
        if (this.again) {
          this.again = false;
          this.kick();
        } else if (this.started) {
          this.timer = this.deps.timers.after(Math.min(wait, this.deps.maxWaitMs), () => {
            this.timer = null;
            this.kick();
          });
        }
        this.settled();
      })
      .catch((err: unknown) => {
        this.deps.logger.error({ err }, 'poll scheduler bug');
      });
  }

  /** Claims due channels while probes may start; returns how long to wait for the next one. */
  private async release(): Promise<number> {
    const { dueTimes, claimMs } = this.deps;
    while (this.started && this.running < this.deps.concurrency) {
      const free = this.deps.concurrency - this.running;
      const claimed = await dueTimes.claimDue(free, claimMs);
      if (claimed.length === 0) break;
      const tasks = await this.batches(claimed);
      // One read of the claimed channels' states where decisions read the store (a cluster).
      await this.deps.sentinel.prefetchStates(tasks.flat().map((c) => c.id));
      for (const task of tasks) this.run(task);
      if (claimed.length < free) break;
    }
    return (await dueTimes.nextDueInMs()) ?? this.deps.maxWaitMs;
  }

  /**
   * Groups claimed channels into probe tasks: one per channel, or for a batching platform, batches
   * of up to its `maxBatch`, the last one topped up with channels of that platform due soon (jitter
   * would otherwise keep them apart: 250 Twitch channels cost 3 calls a round, not 250).
   */
  private async batches(claimed: readonly DueEntry[]): Promise<Channel[][]> {
    const tasks: Channel[][] = [];
    const byPlatform = new Map<string, Channel[]>();
    const unknown: DueAt[] = [];
    for (const entry of claimed) {
      const channel = this.deps.sentinel.channel(entry.channelId);
      if (!channel) {
        // Added by another process and not loaded here yet, or deleted meanwhile.
        unknown.push({ ...entry, delayMs: UNKNOWN_RETRY_MS });
        continue;
      }
      const platform = this.deps.platforms.get(channel.platform);
      const max = platform?.probeBatch ? (platform.maxBatch ?? 1) : 1;
      if (max <= 1) tasks.push([channel]);
      else byPlatform.set(channel.platform, [...(byPlatform.get(channel.platform) ?? []), channel]);
    }
    if (unknown.length > 0) await this.deps.dueTimes.schedule(unknown);
    for (const [platformId, channels] of byPlatform) {
      const max = this.deps.platforms.get(platformId)?.maxBatch ?? 1;
      for (let i = 0; i < channels.length; i += max) tasks.push(channels.slice(i, i + max));
      const last = tasks[tasks.length - 1]!;
      const room = max - last.length;
      if (room <= 0) continue;
      const withinMs =
        Math.min(...last.map((c) => c.intervalMs ?? this.deps.defaultIntervalMs)) / 4;
      const more = await this.deps.dueTimes.claimSoon(
        platformId,
        withinMs,
        room,
        this.deps.claimMs,
      );
      for (const id of more) {
        const c = this.deps.sentinel.channel(id);
        if (c) last.push(c);
        else
          await this.deps.dueTimes.schedule([
            { channelId: id, platform: platformId, delayMs: UNKNOWN_RETRY_MS },
          ]);
      }
    }
    return tasks;
  }

  private run(batch: Channel[]): void {
    this.running++;
    this.probe(batch)
      .then(() => {
        // A full batch keeps together (one jitter draw) instead of fraying into small batches, one
        // Helix call each; a partial one spreads out and merges into its neighbours' batches.
        const max = this.deps.platforms.get(batch[0]!.platform)?.maxBatch ?? 1;
        const shared = max > 1 && batch.length === max ? this.deps.random() : null;
        const next = batch
          .filter((c) => this.deps.sentinel.channel(c.id) !== undefined)
          .map((c) => ({
            channelId: c.id,
            platform: c.platform,
            delayMs: this.nextDelay(c, shared ?? this.deps.random()),
          }));
        // A stopping process leaves its claims to lapse: the channels fall due by themselves.
        return this.started && next.length > 0 ? this.reschedule(next) : undefined;
      })
      .catch((err: unknown) => {
        this.deps.logger.error(
          { channel: batch[0]?.id, err },
          'could not reschedule probed channels; their claim lapses and they fall due again',
        );
      })
      .finally(() => {
        this.running--;
        this.kick();
        this.settled();
      })
      .catch(() => undefined);
  }

  /**
   * Writes next due times, coalesced: what probes finish while one write is under way goes out in
   * the next single write (in a cluster, one statement for many probes instead of one each).
   */
  private reschedule(next: readonly DueAt[]): Promise<void> {
    this.pendingNext.push(...next);
    this.rescheduling ??= this.writePending().finally(() => {
      this.rescheduling = null;
    });
    return this.rescheduling;
  }

  private async writePending(): Promise<void> {
    while (this.pendingNext.length > 0) {
      const batch = this.pendingNext;
      this.pendingNext = [];
      await this.deps.dueTimes.schedule(batch);
    }
  }

  private async probe(channels: readonly Channel[]): Promise<void> {
    const first = channels[0]!;
    const platform = this.deps.platforms.get(first.platform);
    const started = this.deps.clock.now();
    let observations: ReadonlyMap<string, Observation>;
    try {
      if (!platform) {
        observations = new Map(
          channels.map((c) => [
            c.id,
            { kind: 'failed', error: `unknown platform ${c.platform}`, retryable: false },
          ]),
        );
      } else if (platform.probeBatch) {
        observations = await platform.probeBatch(channels, this.stopping.signal);
      } else {
        const hint = { wasLive: this.deps.sentinel.state(first.id).liveness === 'live' };
        observations = new Map([
          [first.id, await platform.probe(first, hint, this.stopping.signal)],
        ]);
      }
    } catch (error) {
      // A platform adapter bug must not stop the loop; it is a failed probe, never offline.
      this.deps.logger.error({ channel: first.id, err: error }, 'platform adapter threw');
      observations = new Map();
    }
    if (this.stopping.signal.aborted) return;
    // Wall time, for a metric: a clock step may make one sample wrong, never the schedule.
    const elapsed = Math.max(0, this.deps.clock.now() - started);
    await Promise.all(
      channels.map(async (channel) => {
        const observation: Observation = observations.get(channel.id) ?? {
          kind: 'failed',
          error: 'platform adapter error',
          retryable: true,
        };
        this.deps.metrics.probe(channel.platform, observation.kind, elapsed);
        try {
          await this.deps.sentinel.observe(channel.id, observation);
        } catch (error) {
          this.deps.logger.error(
            { channel: channel.id, err: error },
            'could not record observation',
          );
        }
      }),
    );
  }

  private intervalOf(channel: Channel): number {
    const pushed = this.push.get(channel.id)?.mode === 'push';
    return (
      (channel.intervalMs ?? this.deps.defaultIntervalMs) *
      (pushed ? (this.deps.pushedIntervalFactor ?? 1) : 1)
    );
  }

  /**
   * The channel's interval (stretched under push), doubled per failure up to the cap, ±10 % jitter
   * (`spread` in [0, 1) picks where in that range).
   */
  private nextDelay(channel: Channel, spread: number): number {
    const interval = this.intervalOf(channel);
    const failures = this.deps.sentinel.state(channel.id).consecutiveFailures;
    const base =
      failures === 0
        ? interval
        : Math.min(
            interval * 2 ** Math.min(failures, 16),
            Math.max(interval, this.deps.maxBackoffMs),
          );
    const jitter = (spread * 2 - 1) * 0.1 * base;
    return Math.round(base + jitter);
  }
}
