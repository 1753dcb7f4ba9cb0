import type { Channel, Observation } from '../core/model.js';
import type { Cancel, Clock, Timers } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { Metrics } from '../ports/metrics.js';
import type { PlatformAdapter } from '../ports/platform.js';
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
  private readonly ready: string[] = [];
  private readonly inFlight = new Set<string>();
  private readonly stopping = new AbortController();
  private readonly idle = new Set<() => void>();
  private timer: Cancel | null = null;
  private timerAt = Infinity;
  private running = 0;
  private started = false;

  constructor(deps: PollLoopDeps) {
    this.deps = deps;
  }

  start(): void {
    this.started = true;
    for (const id of this.deps.sentinel.channelIds()) {
      this.schedule(id, this.deps.clock.now() + Math.floor(this.deps.random() * this.deps.startSpreadMs));
    }
  }

  /** (Re)schedules a channel's next probe, e.g. after it was added or changed. */
  schedule(channelId: string, at = this.deps.clock.now()): void {
    const generation = (this.generations.get(channelId) ?? 0) + 1;
    this.generations.set(channelId, generation);
    this.heap.push(at, { channelId, generation });
    if (this.started) this.arm();
  }

  unschedule(channelId: string): void {
    this.generations.delete(channelId);
  }

  /** Probes a channel now, outside its schedule (webhook confirmation, tests). */
  async checkNow(channelId: string): Promise<void> {
    const channel = this.deps.sentinel.channel(channelId);
    if (channel) await this.probe(channel);
  }

  /** Resolves when no probe is running or ready (tests, shutdown). */
  whenIdle(): Promise<void> {
    if (this.running === 0 && this.ready.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.add(resolve));
  }

  async stop(): Promise<void> {
    this.started = false;
    this.timer?.();
    this.timer = null;
    this.ready.length = 0;
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
    while (this.running < this.deps.concurrency && this.ready.length > 0) {
      const id = this.ready.shift()!;
      const channel = this.deps.sentinel.channel(id);
      if (!channel || this.inFlight.has(id)) continue;
      this.running++;
      void this.probe(channel).finally(() => {
        this.running--;
        if (this.started && this.generations.has(id)) this.schedule(id, this.nextDue(channel));
        this.pump();
        if (this.running === 0 && this.ready.length === 0) {
          for (const resolve of this.idle) resolve();
          this.idle.clear();
        }
      });
    }
  }

  private async probe(channel: Channel): Promise<void> {
    const platform = this.deps.platforms.get(channel.platform);
    const started = this.deps.clock.now();
    this.inFlight.add(channel.id);
    let observation: Observation;
    try {
      observation = platform
        ? await platform.probe(channel, { wasLive: this.deps.sentinel.state(channel.id).liveness === 'live' }, this.stopping.signal)
        : { kind: 'failed', error: `unknown platform ${channel.platform}`, retryable: false };
    } catch (error) {
      // A platform adapter bug must not stop the loop; it is a failed probe, never offline.
      this.deps.logger.error({ channel: channel.id, err: error }, 'platform adapter threw');
      observation = { kind: 'failed', error: 'platform adapter error', retryable: true };
    } finally {
      this.inFlight.delete(channel.id);
    }
    if (this.stopping.signal.aborted) return;
    this.deps.metrics.probe(channel.platform, observation.kind, this.deps.clock.now() - started);
    try {
      await this.deps.sentinel.observe(channel.id, observation);
    } catch (error) {
      this.deps.logger.error({ channel: channel.id, err: error }, 'could not record observation');
    }
  }

  private nextDue(channel: Channel): number {
    const interval = channel.intervalMs ?? this.deps.defaultIntervalMs;
    const failures = this.deps.sentinel.state(channel.id).consecutiveFailures;
    const base =
      failures === 0 ? interval : Math.min(interval * 2 ** Math.min(failures, 16), Math.max(interval, this.deps.maxBackoffMs));
    const jitter = (this.deps.random() * 2 - 1) * 0.1 * base;
    return this.deps.clock.now() + Math.round(base + jitter);
  }
}
