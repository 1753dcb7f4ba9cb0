import { contentId } from '../core/event-id.js';
import type { Templates } from '../core/messages/message.js';
import { compileTemplate, type Template } from '../core/messages/template.js';
import { EVENT_KINDS } from '../core/model.js';
import { notificationOf, type Notification } from '../core/notification.js';
import type { Instant } from '../core/time.js';
import type { Clock, Timers } from '../ports/clock.js';
import type { EventBus } from '../ports/event-bus.js';
import type { Logger } from '../ports/logger.js';
import type { Metrics } from '../ports/metrics.js';
import type { Notifier, SendAction, SendResult, Target } from '../ports/notifier.js';
import type { Delivery, DueDelivery, Store, StoredEvent } from '../ports/store.js';
import { parseRateLimit, subscriptionWishes } from './inputs.js';
import type { SupervisedTask, Supervisor } from './supervisor.js';

/** What one due delivery turns into once the subscription's wishes and the earlier message are known. */
type Plan =
  | { readonly kind: 'send'; readonly action: SendAction; readonly templates: Templates }
  /** Nothing to put on the wire (e.g. an offline edit with no live message); recorded as done. */
  | { readonly kind: 'skip'; readonly reason: string };

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
  /**
   * Several processes drain one outbox (a cluster): claim deliveries for this long (longer than a
   * send can take) so that no two send the same one, and a dead claimer's fall due again.
   */
  readonly claimMs?: number;
  /** Runs the drain loop: logs, counts and restarts it when the store fails. */
  readonly supervisor: Pick<Supervisor, 'loop'>;
}

/**
 * Drains the durable outbox: due deliveries → notifier → sent, or rescheduled with exponential
 * backoff (honouring the provider's Retry-After), or failed when not retryable or out of attempts.
 * Per (channel, target) only the oldest pending delivery is due, so events arrive in order.
 *
 * An `offline` delivery for a subscription with `onOffline: edit | delete` edits or retracts the
 * message its session's `live` delivery posted (the provider message id kept with that delivery).
 * Back-pressure is per target: a provider's Retry-After (or a spent quota) holds every delivery
 * to that target, and a target's `rateLimit` option spaces sends; a held delivery keeps its place
 * and its attempt count.
 */
export class DeliveryWorker {
  private readonly deps: DeliveryWorkerDeps;
  /** Aborts sends in flight when the worker stops. */
  private readonly stopping = new AbortController();
  /** The supervised drain loop, while started. */
  private task: SupervisedTask | null = null;
  /** Counts `nudge()` calls: one during a pass means look again before sleeping. */
  private nudges = 0;
  /** Ends the current sleep early (a nudge). */
  private wake: (() => void) | null = null;
  /** `settle()` callers waiting for the next complete pass. */
  private settleWaiters: (() => void)[] = [];
  /** Per target: no request before this instant (the provider asked for a pause). */
  private readonly pausedUntil = new Map<string, Instant>();
  /** Per target: send instants inside the rate-limit window. */
  private readonly recentSends = new Map<string, Instant[]>();
  private readonly templateCache = new Map<string, Template | null>();

  constructor(deps: DeliveryWorkerDeps) {
    this.deps = deps;
  }

  /** Starts the drain loop under the supervisor (a failing store is retried with its backoff). */
  start(): void {
    this.task ??= this.deps.supervisor.loop('delivery', (signal, healthy) =>
      this.run(signal, healthy),
    );
  }

  /** New deliveries were queued: look now. */
  nudge(): void {
    this.nudges += 1;
    this.wake?.();
  }

  /** Looks for due deliveries now and resolves once a whole pass found nothing more due (tests). */
  async settle(): Promise<void> {
    if (!this.task) return;
    const done = new Promise<void>((resolve) => this.settleWaiters.push(resolve));
    this.nudge();
    await done;
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.task?.stop();
    this.task = null;
  }

  /** The loop: drain what is due, then sleep until the next due time, a nudge, or the stop. */
  private async run(signal: AbortSignal, healthy: () => void): Promise<void> {
    while (!signal.aborted) {
      const nudges = this.nudges;
      const waiting = this.settleWaiters.splice(0);
      try {
        await this.drain(signal);
      } catch (err) {
        // Those waiting are answered by the first pass that gets through.
        this.settleWaiters.unshift(...waiting);
        throw err;
      }
      healthy();
      for (const resolve of waiting) resolve();
      if (this.nudges !== nudges) continue;
      const wait = await this.nextWait();
      if (this.nudges === nudges) await this.sleep(wait, signal);
    }
  }

  /** Sends everything due now, batch after batch, until nothing is due. */
  private async drain(signal: AbortSignal): Promise<void> {
    for (;;) {
      if (signal.aborted) return;
      const due =
        this.deps.claimMs === undefined
          ? await this.deps.store.dueDeliveries(this.deps.clock.now(), this.deps.policy.concurrency)
          : await this.deps.store.claimDueDeliveries(
              this.deps.clock.now(),
              this.deps.policy.concurrency,
              this.deps.claimMs,
            );
      if (due.length === 0) return;
      await Promise.all(due.map((d) => this.attempt(d)));
    }
  }

  private async nextWait(): Promise<number> {
    const next = await this.deps.store.nextDeliveryAt();
    const now = this.deps.clock.now();
    return next === undefined
      ? this.deps.idlePollMs
      : Math.min(Math.max(0, next - now), this.deps.idlePollMs);
  }

  private sleep(ms: number, signal: AbortSignal): Promise<void> {
    // An abort that came while the pass ran fires no event any more: without this the worker
    // would sleep a whole idle period (forever on a manual clock) before seeing its stop.
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        cancel();
        this.wake = null;
        signal.removeEventListener('abort', done);
        resolve();
      };
      const cancel = this.deps.timers.after(ms, done);
      this.wake = done;
      signal.addEventListener('abort', done, { once: true });
    });
  }

  private async attempt({ delivery, event }: DueDelivery): Promise<void> {
    const target = await this.deps.store.getTarget(delivery.targetId);
    const notifier = target && this.deps.notifiers.get(target.type);
    let result: SendResult;
    if (!target || !notifier) {
      result = {
        ok: false,
        retryable: false,
        retryAfterMs: null,
        error: target ? `no notifier for ${target.type}` : 'target was deleted',
      };
    } else {
      const heldUntil = this.hold(target);
      if (heldUntil !== null) return this.defer(delivery, heldUntil);
      const plan = await this.plan(delivery, event, notifier);
      if (plan.kind === 'skip') {
        result = { ok: true, messageId: null, detail: plan.reason };
      } else {
        try {
          result = await notifier.send(notificationOf(event, event.channel), target, {
            action: plan.action,
            templates: plan.templates,
            signal: this.stopping.signal,
          });
        } catch (error) {
          this.deps.logger.error({ target: delivery.targetId, err: error }, 'notifier threw');
          result = { ok: false, retryable: true, retryAfterMs: null, error: 'notifier error' };
        }
        const pause = result.ok ? (result.pauseMs ?? null) : result.retryAfterMs;
        if (pause !== null && pause > 0)
          this.pausedUntil.set(
            target.id,
            this.deps.clock.now() + Math.min(pause, this.deps.policy.retryAfterMaxMs),
          );
      }
    }
    if (this.stopping.signal.aborted && !result.ok) return; // shutting down: leave it pending
    const now = this.deps.clock.now();
    const attempts = delivery.attempts + 1;
    const log = this.deps.logger.child({
      channel: delivery.channelId,
      target: delivery.targetId,
      event: event.kind,
      id: event.id,
    });
    const type = target?.type ?? 'unknown';
    if (result.ok) {
      await this.deps.store.updateDelivery(
        delivery.seq,
        {
          status: 'sent',
          attempts,
          nextAttemptAt: now,
          lastError: null,
          providerMessageId: result.messageId,
        },
        now,
      );
      this.deps.metrics.delivery(type, 'sent');
      log.info({ attempts, detail: result.detail }, 'delivered');
    } else if (result.retryable && attempts < this.deps.policy.maxAttempts) {
      const next = now + this.backoff(attempts, result.retryAfterMs);
      await this.deps.store.updateDelivery(
        delivery.seq,
        {
          status: 'pending',
          attempts,
          nextAttemptAt: next,
          lastError: result.error,
          providerMessageId: delivery.providerMessageId,
        },
        now,
      );
      this.deps.metrics.delivery(type, 'retry');
      log.warn(
        { attempts, retryInMs: next - now, error: result.error },
        'delivery failed, will retry',
      );
    } else {
      await this.deps.store.updateDelivery(
        delivery.seq,
        {
          status: 'failed',
          attempts,
          nextAttemptAt: now,
          lastError: result.error,
          providerMessageId: delivery.providerMessageId,
        },
        now,
      );
      this.deps.metrics.delivery(type, 'failed');
      log.error({ attempts, error: result.error }, 'delivery failed for good');
    }
    this.deps.bus.publish({
      type: 'delivery',
      eventId: event.id,
      targetId: delivery.targetId,
      status: result.ok
        ? 'sent'
        : result.retryable && attempts < this.deps.policy.maxAttempts
          ? 'pending'
          : 'failed',
      attempts,
      error: result.ok ? null : result.error,
    });
  }

  /**
   * When the target may next be called, if not now: a provider's pause, or a full rate-limit
   * window. Otherwise takes a slot (synchronously, so parallel attempts cannot both take the last).
   */
  private hold(target: Target): Instant | null {
    const now = this.deps.clock.now();
    const paused = this.pausedUntil.get(target.id);
    if (paused !== undefined) {
      if (paused > now) return paused;
      this.pausedUntil.delete(target.id);
    }
    const raw = target.options['rateLimit'];
    const limit = typeof raw === 'string' ? parseRateLimit(raw) : undefined;
    if (!limit) return null;
    const recent = (this.recentSends.get(target.id) ?? []).filter((t) => t > now - limit.perMs);
    if (recent.length >= limit.count) {
      this.recentSends.set(target.id, recent);
      return recent[0]! + limit.perMs;
    }
    recent.push(now);
    this.recentSends.set(target.id, recent);
    return null;
  }

  /** Held back by the target, not failed: same attempts, same last error, later. */
  private async defer(delivery: Delivery, until: Instant): Promise<void> {
    await this.deps.store.updateDelivery(
      delivery.seq,
      {
        status: 'pending',
        attempts: delivery.attempts,
        nextAttemptAt: until,
        lastError: delivery.lastError,
        providerMessageId: delivery.providerMessageId,
      },
      this.deps.clock.now(),
    );
  }

  /** Post, or edit/retract the session's live message, per the subscription's `onOffline`. */
  private async plan(delivery: Delivery, event: StoredEvent, notifier: Notifier): Promise<Plan> {
    const subscription = (await this.deps.store.listSubscriptions(delivery.channelId)).find(
      (s) => s.targetId === delivery.targetId,
    );
    const wishes = subscriptionWishes(subscription);
    const templates = this.templates(wishes.template);
    if (event.kind !== 'offline' || wishes.onOffline === 'none')
      return { kind: 'send', action: { kind: 'post' }, templates };
    const wantsOfflinePost = subscription?.events.includes('offline') ?? false;
    const kind = wishes.onOffline === 'edit' ? 'edit' : 'retract';
    const messageId = notifier.supports[kind] ? await this.liveMessageId(delivery, event) : null;
    if (messageId !== null) return { kind: 'send', action: { kind, messageId }, templates };
    if (wantsOfflinePost) return { kind: 'send', action: { kind: 'post' }, templates };
    return {
      kind: 'skip',
      reason: notifier.supports[kind]
        ? `no live message of this session to ${kind}`
        : `${notifier.type} targets cannot ${kind} a message`,
    };
  }

  /** The provider's id of the message the session's `live` delivery to this target posted. */
  private async liveMessageId(delivery: Delivery, event: StoredEvent): Promise<string | null> {
    // Event ids are content-derived (core/decide): the session's live event id is known without a lookup.
    const liveId = contentId(event.channelId, 'live', event.startedAt ?? 0);
    const [live] = await this.deps.store.listDeliveries({
      eventId: liveId,
      targetId: delivery.targetId,
      status: 'sent',
      limit: 1,
    });
    return live?.providerMessageId ?? null;
  }

  private templates(sources: Partial<Record<string, string>>): Templates {
    const out: Partial<Record<(typeof EVENT_KINDS)[number], Template>> = {};
    for (const kind of EVENT_KINDS) {
      const source = sources[kind];
      if (source === undefined) continue;
      let compiled = this.templateCache.get(source);
      if (compiled === undefined) {
        // Checked at config load; a row edited by hand falls back to the default wording.
        const result = compileTemplate(source);
        compiled = result.ok ? result.template : null;
        this.templateCache.set(source, compiled);
      }
      if (compiled !== null) out[kind] = compiled;
    }
    return out;
  }

  /** Exponential with ±20 % jitter; a provider's Retry-After wins (within a cap). */
  private backoff(attempts: number, retryAfterMs: number | null): number {
    const { backoffBaseMs, backoffMaxMs, retryAfterMaxMs } = this.deps.policy;
    if (retryAfterMs !== null) return Math.min(Math.max(retryAfterMs, 0), retryAfterMaxMs);
    const exp = Math.min(backoffBaseMs * 2 ** (attempts - 1), backoffMaxMs);
    return Math.round(exp * (0.8 + 0.4 * this.deps.random()));
  }
}

/**
 * Sends a one-off test message to a target (`POST /targets/:id/test`, `onair notify test`):
 * a made-up `live` notification whose id is unique per call, so idempotent providers (Matrix
 * txn ids, ntfy sequence ids) take each test as new. Answers the provider's outcome as it is.
 */
export async function sendTestNotification(
  notifier: Notifier,
  target: Target,
  now: Instant,
  signal: AbortSignal,
): Promise<SendResult> {
  const notification: Notification = {
    id: `test-${now}`,
    // Never `live`: a receiver that acts on live streams must not act on a test.
    event: 'test',
    channel: {
      id: 'onair-test',
      platform: 'test',
      url: 'https://example.org/onair-test',
      name: 'onair test',
    },
    title: `Test message from onair to "${target.id}"`,
    tags: ['test'],
    startedAt: now,
    at: now,
  };
  try {
    return await notifier.send(notification, target, {
      action: { kind: 'post' },
      templates: {},
      signal,
    });
  } catch {
    return {
      ok: false,
      retryable: true,
      retryAfterMs: null,
      error: `${notifier.type} notifier error`,
    };
  }
}
