import type { Instant } from '../core/time.js';
import type { Cancel, Clock, Timers } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';

/** What the supervisor reports; the Prometheus adapter counts it as `onair_task_failures_total{task}`. */
export interface TaskMetrics {
  /** One run of `task` failed (threw, rejected, or a loop ended before it was stopped). */
  taskFailed(task: string): void;
}

/** Backoff between restarts of a failing task: exponential from `baseMs`, capped at `maxMs`, jittered. */
export interface RestartPolicy {
  readonly baseMs: number;
  readonly maxMs: number;
}

export interface SupervisorDeps {
  readonly clock: Clock;
  readonly timers: Timers;
  readonly logger: Logger;
  readonly metrics: TaskMetrics;
  /** In [0, 1); the jitter of restart delays. */
  readonly random: () => number;
  readonly restart: RestartPolicy;
}

/** A task's body: it should stop soon after `signal` aborts. */
export type TaskBody = (signal: AbortSignal) => Promise<void>;

/** How a supervised task is doing, for `/healthz` and logs. */
export interface TaskHealth {
  readonly name: string;
  /** Failures since its last success (0: healthy). */
  readonly failures: number;
  /** The message of its last failure while it is failing, else null. */
  readonly lastError: string | null;
  /** When the current run of failures began, or null. */
  readonly failingSince: Instant | null;
}

/** One supervised task, to stop on its own (the supervisor's `stop()` stops all of them). */
export interface SupervisedTask {
  /** Aborts its body, cancels its next run and resolves once it has settled. Idempotent. */
  stop(): Promise<void>;
}

interface Task {
  readonly name: string;
  /** Aborted when the task or the whole supervisor stops. */
  readonly stopping: AbortController;
  /** Stops following the supervisor's own stop (once the task stopped by itself). */
  readonly unlink: () => void;
  failures: number;
  lastError: string | null;
  failingSince: Instant | null;
  /** The pending restart or next run. */
  timer: Cancel | null;
  /** The run in flight. */
  running: Promise<void> | null;
}

/**
 * Runs background work so that no rejection ever reaches the process: every failure is logged,
 * counted, and the task restarted after an exponential, jittered backoff. Three shapes:
 * - `loop`: a long-running body that should only return once its signal aborts;
 * - `every`: a one-shot body run at a fixed interval (retried with backoff when it fails);
 * - `spawn`: a one-off body (an evaluation an event asked for); failures are logged and counted,
 *   retrying is the caller's business.
 * `stop()` aborts every body and waits for all of them to settle.
 */
export class Supervisor {
  private readonly deps: SupervisorDeps;
  private readonly stopping = new AbortController();
  private readonly tasks = new Map<string, Task>();
  private readonly oneOffs = new Set<Promise<void>>();

  constructor(deps: SupervisorDeps) {
    this.deps = deps;
  }

  /** True once `stop()` was called. */
  get stopped(): boolean {
    return this.stopping.signal.aborted;
  }

  /**
   * Runs `body` until the task stops. A body that throws, or returns before then, is restarted
   * after a backoff; the backoff starts over after the body reports `healthy()` (or after it ran
   * longer than the longest backoff).
   */
  loop(
    name: string,
    body: (signal: AbortSignal, healthy: () => void) => Promise<void>,
  ): SupervisedTask {
    const task = this.register(name);
    const { signal } = task.stopping;
    const healthy = (): void => {
      this.succeeded(task);
    };
    const start = (): void => {
      task.timer = null;
      if (signal.aborted) return;
      const began = this.deps.clock.now();
      task.running = this.guard(() => body(signal, healthy)).then((outcome) => {
        task.running = null;
        if (signal.aborted) return;
        // A body that ran longer than the longest backoff was healthy meanwhile: start over.
        if (this.deps.clock.now() - began >= this.deps.restart.maxMs) this.reset(task);
        this.failed(task, outcome.ok ? new Error('ended before it was stopped') : outcome.err);
        task.timer = this.deps.timers.after(this.delay(task.failures), start);
      });
    };
    start();
    return this.handle(task);
  }

  /**
   * Runs `body` now (or after `firstMs`) and then `intervalMs` after each success; a failure is
   * retried after a backoff instead (never later than the interval).
   */
  every(name: string, intervalMs: number, body: TaskBody, firstMs = 0): SupervisedTask {
    const task = this.register(name);
    const { signal } = task.stopping;
    const run = (): void => {
      task.timer = null;
      if (signal.aborted) return;
      task.running = this.guard(() => body(signal)).then((outcome) => {
        task.running = null;
        if (signal.aborted) return;
        if (outcome.ok) this.succeeded(task);
        else this.failed(task, outcome.err);
        const wait = outcome.ok ? intervalMs : Math.min(intervalMs, this.delay(task.failures));
        task.timer = this.deps.timers.after(wait, run);
      });
    };
    task.timer = this.deps.timers.after(firstMs, run);
    return this.handle(task);
  }

  /** Runs `body` once in the background; a failure is logged and counted under `name`. */
  spawn(name: string, body: TaskBody): void {
    if (this.stopped) return;
    const run: Promise<void> = (async () => {
      try {
        await body(this.stopping.signal);
      } catch (err) {
        this.deps.metrics.taskFailed(name);
        this.deps.logger.error({ task: name, err }, 'background task failed');
      }
    })();
    this.oneOffs.add(run);
    run.then(
      () => this.oneOffs.delete(run),
      () => this.oneOffs.delete(run),
    );
  }

  /** The health of every `loop` and `every` task, in registration order. */
  health(): readonly TaskHealth[] {
    return [...this.tasks.values()].map((t) => ({
      name: t.name,
      failures: t.failures,
      lastError: t.lastError,
      failingSince: t.failingSince,
    }));
  }

  /** Aborts every task and resolves once all have settled. Idempotent. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await Promise.all([...[...this.tasks.values()].map((t) => this.stopTask(t)), ...this.oneOffs]);
  }

  private handle(task: Task): SupervisedTask {
    return { stop: () => this.stopTask(task) };
  }

  private async stopTask(task: Task): Promise<void> {
    task.stopping.abort();
    task.unlink();
    task.timer?.();
    task.timer = null;
    await task.running;
    // The name is free again: a component stopped and started again supervises a new task.
    if (this.tasks.get(task.name) === task) this.tasks.delete(task.name);
  }

  private register(name: string): Task {
    if (this.tasks.has(name)) throw new Error(`a task named ${name} is already supervised`);
    const stopping = new AbortController();
    const follow = (): void => {
      stopping.abort();
    };
    if (this.stopped) stopping.abort();
    else this.stopping.signal.addEventListener('abort', follow, { once: true });
    const task: Task = {
      name,
      stopping,
      unlink: () => {
        this.stopping.signal.removeEventListener('abort', follow);
      },
      failures: 0,
      lastError: null,
      failingSince: null,
      timer: null,
      running: null,
    };
    this.tasks.set(name, task);
    return task;
  }

  /** Runs `body` and turns its failure into a value. */
  private async guard(
    body: () => Promise<void>,
  ): Promise<{ readonly ok: true } | { readonly ok: false; readonly err: unknown }> {
    try {
      await body();
      return { ok: true };
    } catch (err) {
      return { ok: false, err };
    }
  }

  private failed(task: Task, err: unknown): void {
    task.failures += 1;
    task.lastError = err instanceof Error ? err.message : String(err);
    task.failingSince ??= this.deps.clock.now();
    this.deps.metrics.taskFailed(task.name);
    this.deps.logger.error(
      { task: task.name, err, failures: task.failures },
      'background task failed; restarting it after a backoff',
    );
  }

  private succeeded(task: Task): void {
    if (task.failures > 0)
      this.deps.logger.info(
        { task: task.name, failures: task.failures },
        'background task recovered',
      );
    this.reset(task);
  }

  private reset(task: Task): void {
    task.failures = 0;
    task.lastError = null;
    task.failingSince = null;
  }

  /** Equal jitter: half the exponential step, plus up to half again at random. */
  private delay(failures: number): number {
    const { baseMs, maxMs } = this.deps.restart;
    const step = Math.min(maxMs, baseMs * 2 ** Math.max(0, failures - 1));
    return step / 2 + (this.deps.random() * step) / 2;
  }
}
