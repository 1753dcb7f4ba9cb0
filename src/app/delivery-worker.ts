import { notificationOf } from '../core/notification.js';
import type { Cancel, Clock, Timers } from '../ports/clock.js';
import type { EventBus } from '../ports/event-bus.js';
import type { Logger } from '../ports/logger.js';
import type { Metrics } from '../ports/metrics.js';
import type { Notifier, SendResult } from '../ports/notifier.js';
import type { DueDelivery, Store } from '../ports/store.js';

export interface DeliveryPolicy {
  readonly concurrency: number;
  readonly maxAttempts: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  /** Longest `Retry-After` honoured as given; longer ones are capped. */
  readonly retryAfterMaxMs: number;
}

export interface DeliveryWorkerDeps {
  readonly store: Store;
  readonly notifiers: ReadonlyMap<string, Notifier>;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly bus: EventBus;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly random: () => number;
  readonly policy: DeliveryPolicy;
  /** How often to look for due deliveries when nothing nudges the worker. */
  readonly idlePollMs: number;
}

/**
 * Drains the durable outbox: due deliveries → notifier → sent, or rescheduled with exponential
 * backoff (honouring the provider's Retry-After), or failed when not retryable or out of attempts.
 * Per (channel, target) only the oldest pending delivery is due, so events arrive in order.
 */
export class DeliveryWorker {
  private readonly deps: DeliveryWorkerDeps;
  private readonly stopping = new AbortController();
  private timer: Cancel | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private started = false;

  constructor(deps: DeliveryWorkerDeps) {
    this.deps = deps;
  }

  start(): void {
    this.started = true;
    this.nudge();
  }

  /** New deliveries were queued: look now. */
  nudge(): void {
    if (!this.started) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.timer?.();
    this.timer = null;
    this.running = this.drain().finally(() => {
      this.running = null;
      if (this.again) {
        this.again = false;
        this.nudge();
      } else void this.arm();
    });
  }

  /** Sends everything due now, batch after batch, until nothing is due. */
  /** Looks for due deliveries now and resolves once nothing due is left (tests, shutdown). */
  async settle(): Promise<void> {
    this.nudge();
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    for (;;) {
      if (this.stopping.signal.aborted) return;
      const due = await this.deps.store.dueDeliveries(this.deps.clock.now(), this.deps.policy.concurrency);
      if (due.length === 0) return;
      await Promise.all(due.map((d) => this.attempt(d)));
    }
  }

  async stop(): Promise<void> {
    this.started = false;
    this.timer?.();
    this.timer = null;
    this.stopping.abort();
    await this.running;
  }

  private async arm(): Promise<void> {
    if (!this.started) return;
    const next = await this.deps.store.nextDeliveryAt();
    const now = this.deps.clock.now();
    const wait = next === undefined ? this.deps.idlePollMs : Math.min(Math.max(0, next - now), this.deps.idlePollMs);
    if (this.stopping.signal.aborted || this.running) return;
    this.timer?.();
    this.timer = this.deps.timers.after(wait, () => {
      this.timer = null;
      this.nudge();
    });
  }

  private async attempt({ delivery, event }: DueDelivery): Promise<void> {
    const target = await this.deps.store.getTarget(delivery.targetId);
    const notifier = target && this.deps.notifiers.get(target.type);
    let result: SendResult;
    if (!target || !notifier) {
      result = { ok: false, retryable: false, retryAfterMs: null, error: target ? `no notifier for ${target.type}` : 'target was deleted' };
    } else {
      try {
        result = await notifier.send(notificationOf(event, event.channel), target, this.stopping.signal);
      } catch (error) {
        this.deps.logger.error({ target: delivery.targetId, err: error }, 'notifier threw');
        result = { ok: false, retryable: true, retryAfterMs: null, error: 'notifier error' };
      }
    }
    if (this.stopping.signal.aborted && !result.ok) return; // shutting down: leave it pending
    const now = this.deps.clock.now();
    const attempts = delivery.attempts + 1;
    const log = this.deps.logger.child({ channel: delivery.channelId, target: delivery.targetId, event: event.kind, id: event.id });
    const type = target?.type ?? 'unknown';
    if (result.ok) {
      await this.deps.store.updateDelivery(
        delivery.seq,
        { status: 'sent', attempts, nextAttemptAt: now, lastError: null, providerMessageId: result.messageId },
        now,
      );
      this.deps.metrics.delivery(type, 'sent');
      log.info({ attempts }, 'delivered');
    } else if (result.retryable && attempts < this.deps.policy.maxAttempts) {
      const next = now + this.backoff(attempts, result.retryAfterMs);
      await this.deps.store.updateDelivery(
        delivery.seq,
        { status: 'pending', attempts, nextAttemptAt: next, lastError: result.error, providerMessageId: delivery.providerMessageId },
        now,
      );
      this.deps.metrics.delivery(type, 'retry');
      log.warn({ attempts, retryInMs: next - now, error: result.error }, 'delivery failed, will retry');
    } else {
      await this.deps.store.updateDelivery(
        delivery.seq,
        { status: 'failed', attempts, nextAttemptAt: now, lastError: result.error, providerMessageId: delivery.providerMessageId },
        now,
      );
      this.deps.metrics.delivery(type, 'failed');
      log.error({ attempts, error: result.error }, 'delivery failed for good');
    }
    this.deps.bus.publish({
      type: 'delivery',
      eventId: event.id,
      targetId: delivery.targetId,
      status: result.ok ? 'sent' : result.retryable && attempts < this.deps.policy.maxAttempts ? 'pending' : 'failed',
      attempts,
      error: result.ok ? null : result.error,
    });
  }

  /** Exponential with ±20 % jitter; a provider's Retry-After wins (within a cap). */
  private backoff(attempts: number, retryAfterMs: number | null): number {
    const { backoffBaseMs, backoffMaxMs, retryAfterMaxMs } = this.deps.policy;
    if (retryAfterMs !== null) return Math.min(Math.max(retryAfterMs, 0), retryAfterMaxMs);
    const exp = Math.min(backoffBaseMs * 2 ** (attempts - 1), backoffMaxMs);
    return Math.round(exp * (0.8 + 0.4 * this.deps.random()));
  }
}
