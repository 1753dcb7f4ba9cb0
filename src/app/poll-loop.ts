import { setMaxListeners } from 'node:events';
import type { Channel, Observation } from '../core/model.js';
import type { Cancel, Clock, Timers } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { Metrics } from '../ports/metrics.js';
import type { PlatformAdapter } from '../ports/platform.js';
import { Fifo } from './fifo.js';
import { MinHeap } from './min-heap.js';
import type { Sentinel } from './sentinel.js';

export interface PollLoopDeps {
  readonly sentinel: Sentinel;
  readonly platforms: ReadonlyMap<string, PlatformAdapter>;
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
}

/** Whether push covers a channel, shown in the API; when it does not, `reason` says why. */
export interface PushStatus {
  readonly mode: 'push' | 'poll';
  readonly reason: string | null;
}

interface Slot {
  readonly channelId: string;
  /** Bumped when the channel is rescheduled or removed; stale heap entries are skipped. */
  readonly generation: number;
}

/**
 * Probes every channel at its interval with ±10 % jitter, at most `concurrency` at a time,
 * backing off exponentially while a channel fails. Owns scheduling only: each observation
 * goes to the sentinel.
 */
export class PollLoop {
  private readonly deps: PollLoopDeps;
  private readonly heap = new MinHeap<Slot>();
  private readonly generations = new Map<string, number>();
  /** When each scheduled channel is due, so a batched platform can take channels due soon. */
  private readonly dueAt = new Map<string, number>();
  private readonly push = new Map<string, PushStatus>();
  private readonly ready = new Fifo<string>();
  private readonly inFlight = new Set<string>();
  private readonly stopping = new AbortController();
  private readonly idle = new Set<() => void>();
  private timer: Cancel | null = null;
  private timerAt = Infinity;
  private running = 0;
  private started = false;

  constructor(deps: PollLoopDeps) {
    this.deps = deps;
    // Every request in flight listens for the stop (a probe may make several): not a leak.
    setMaxListeners(0, this.stopping.signal);
  }

  start(): void {
    this.started = true;
    for (const id of this.deps.sentinel.channelIds()) {
      this.schedule(
        id,
        this.deps.clock.now() + Math.floor(this.deps.random() * this.deps.startSpreadMs),
      );
    }
  }

  /** (Re)schedules a channel's next probe, e.g. after it was added or changed. */
  schedule(channelId: string, at = this.deps.clock.now()): void {
    const generation = (this.generations.get(channelId) ?? 0) + 1;
    this.generations.set(channelId, generation);
    this.dueAt.set(channelId, at);
    this.heap.push(at, { channelId, generation });
    if (this.started) this.arm();
  }

  unschedule(channelId: string): void {
    this.generations.delete(channelId);
    this.dueAt.delete(channelId);
    this.push.delete(channelId);
  }

  /** Probes a channel `delayMs` from now (e.g. to confirm a webhook the platform's status lags behind). */
  checkIn(channelId: string, delayMs: number): void {
    if (this.generations.has(channelId)) this.schedule(channelId, this.deps.clock.now() + delayMs);
  }

  /**
   * Records whether push covers a channel. A covered channel is polled `pushedIntervalFactor`
   * times less often; when push stops covering it, it is polled at once and then at its interval.
   */
  setPush(channelId: string, status: PushStatus | null): void {
    const was = this.push.get(channelId)?.mode;
    if (status) this.push.set(channelId, status);
    else this.push.delete(channelId);
    if (was === 'push' && status?.mode !== 'push' && this.generations.has(channelId))
      this.schedule(channelId);
  }

  pushStatus(channelId: string): PushStatus | null {
    return this.push.get(channelId) ?? null;
  }

  /** Probes a channel now, outside its schedule (webhook confirmation, tests). */
  async checkNow(channelId: string): Promise<void> {
    const channel = this.deps.sentinel.channel(channelId);
    if (channel) await this.probe([channel]);
  }

  /** Resolves when no probe is running or ready (tests, shutdown). */
  whenIdle(): Promise<void> {
    if (this.running === 0 && this.ready.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.add(resolve));
  }

  async stop(): Promise<void> {
    this.started = false;
    this.timer?.();
    this.timer = null;
    this.ready.clear();
    this.stopping.abort();
    await this.whenIdle();
  }

  private arm(): void {
    this.dropStale();
    const next = this.heap.peekKey();
    if (next === undefined || next >= this.timerAt) return;
    this.timer?.();
    this.timerAt = next;
    this.timer = this.deps.timers.after(Math.max(0, next - this.deps.clock.now()), () => {
      this.timer = null;
      this.timerAt = Infinity;
      this.release();
    });
  }

  /** Pops stale entries so the timer is never armed for a removed or rescheduled channel. */
  private dropStale(): void {
    for (let slot = this.heap.peek(); slot; slot = this.heap.peek()) {
      if (this.generations.get(slot.channelId) === slot.generation) return;
      this.heap.pop();
    }
  }

  /** Moves due channels to the ready queue and starts workers. */
  private release(): void {
    if (!this.started) return;
    const now = this.deps.clock.now();
    for (;;) {
      const key = this.heap.peekKey();
      if (key === undefined || key > now) break;
      const slot = this.heap.pop()!;
      if (this.generations.get(slot.channelId) !== slot.generation) continue;
      this.ready.push(slot.channelId);
    }
    this.pump();
    this.arm();
  }

  private pump(): void {
    while (this.running < this.deps.concurrency && this.ready.size > 0) {
      const id = this.ready.shift()!;
      const channel = this.deps.sentinel.channel(id);
      // Not due (any more): a batch took it early and it has been rescheduled since.
      if (
        !channel ||
        this.inFlight.has(id) ||
        (this.dueAt.get(id) ?? Infinity) > this.deps.clock.now()
      )
        continue;
      const batch = this.batchOf(channel);
      this.running++;
      void this.probe(batch).finally(() => {
        this.running--;
        for (const c of batch)
          if (this.started && this.generations.has(c.id)) this.schedule(c.id, this.nextDue(c));
        this.pump();
        if (this.running === 0 && this.ready.size === 0) {
          for (const resolve of this.idle) resolve();
          this.idle.clear();
        }
      });
    }
  }

  /**
   * The channel plus, for a platform that probes in batches, other channels of that platform that
   * are due (ready) or due within a quarter of their interval (jitter would otherwise keep them
   * apart). A channel taken leaves the schedule (its heap and ready entries go stale) until the
   * batch is done and reschedules it.
   */
  private batchOf(channel: Channel): Channel[] {
    this.dueAt.delete(channel.id);
    const platform = this.deps.platforms.get(channel.platform);
    const max = platform?.probeBatch ? (platform.maxBatch ?? 1) : 1;
    const batch = [channel];
    const now = this.deps.clock.now();
    // Only batching platforms scan: iterating a Map that churns this much skips many deleted slots.
    if (max > 1)
      for (const [id, at] of this.dueAt) {
        if (batch.length >= max) break;
        const c = this.deps.sentinel.channel(id);
        if (!c || c.platform !== channel.platform || this.inFlight.has(id)) continue;
        if (at - now > (c.intervalMs ?? this.deps.defaultIntervalMs) / 4) continue;
        this.dueAt.delete(id);
        this.generations.set(id, (this.generations.get(id) ?? 0) + 1);
        batch.push(c);
      }
    return batch;
  }

  private async probe(channels: readonly Channel[]): Promise<void> {
    const first = channels[0]!;
    const platform = this.deps.platforms.get(first.platform);
    const started = this.deps.clock.now();
    for (const c of channels) this.inFlight.add(c.id);
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
    } finally {
      for (const c of channels) this.inFlight.delete(c.id);
    }
    if (this.stopping.signal.aborted) return;
    const elapsed = this.deps.clock.now() - started;
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

  private nextDue(channel: Channel): number {
    const pushed = this.push.get(channel.id)?.mode === 'push';
    const interval =
      (channel.intervalMs ?? this.deps.defaultIntervalMs) *
      (pushed ? (this.deps.pushedIntervalFactor ?? 1) : 1);
    const failures = this.deps.sentinel.state(channel.id).consecutiveFailures;
    const base =
      failures === 0
        ? interval
        : Math.min(
            interval * 2 ** Math.min(failures, 16),
            Math.max(interval, this.deps.maxBackoffMs),
          );
    const jitter = (this.deps.random() * 2 - 1) * 0.1 * base;
    return this.deps.clock.now() + Math.round(base + jitter);
  }
}
