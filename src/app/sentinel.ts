import { decide, isMaterialChange } from '../core/decide.js';
import {
  INITIAL_STATE,
  channelStatus,
  type Channel,
  type ChannelState,
  type EventKind,
  type Observation,
  type Policy,
} from '../core/model.js';
import { snapshotOf } from '../core/notification.js';
import { clipObservation } from '../core/ingest.js';
import type { Clock } from '../ports/clock.js';
import type { EventBus } from '../ports/event-bus.js';
import type { Logger } from '../ports/logger.js';
import type { StateTouch, Store, StoredEvent, Subscription } from '../ports/store.js';
import { subscriptionWishes } from './inputs.js';

/** How often probe bookkeeping alone is written (changed states are written every flush). */
const BOOKKEEPING_EVERY_MS = 30_000;

export interface SentinelDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly bus: EventBus;
  readonly logger: Logger;
  readonly policy: Policy;
  /** Told when new deliveries are queued. */
  readonly onDeliveriesQueued: () => void;
  /**
   * Several processes decide (a cluster): read each channel's state from the store before
   * deciding, since another process may have moved it since this one last looked.
   */
  readonly readThrough?: boolean;
}

/**
 * The sentinel step: load state → decide → commit state, events and deliveries in one
 * transaction. Keeps channels, subscriptions and states in memory (loaded once) so a probe that
 * changes nothing costs no database write; probe bookkeeping is flushed in batches.
 */
export class Sentinel {
  private readonly deps: SentinelDeps;
  private readonly channels = new Map<string, Channel>();
  private readonly subscriptions = new Map<string, readonly Subscription[]>();
  private readonly states = new Map<string, ChannelState>();
  /** Channels whose state changed in more than bookkeeping and is not written yet. */
  private readonly dirty = new Set<string>();
  /** Channels whose last check time and counters are not written yet (written less often). */
  private readonly touched = new Set<string>();
  private lastBookkeepingAt = 0;
  /** States read ahead for the next decision of each channel (`prefetchStates`). */
  private readonly prefetched = new Map<string, ChannelState>();
  /** One decision per channel at a time, so a push and a poll cannot interleave. */
  private readonly queues = new Map<string, Promise<void>>();
  private flushing: Promise<void> | null = null;

  constructor(deps: SentinelDeps) {
    this.deps = deps;
  }

  /** (Re)loads channels, subscriptions and states; cluster processes repeat it to see each other's changes. */
  async load(): Promise<void> {
    const [channels, subscriptions, states] = await Promise.all([
      this.deps.store.listChannels(),
      this.deps.store.listSubscriptions(),
      this.deps.store.loadStates(),
    ]);
    this.channels.clear();
    this.subscriptions.clear();
    this.states.clear();
    for (const channel of channels) this.channels.set(channel.id, channel);
    for (const [id, state] of states) this.states.set(id, state);
    const byChannel = new Map<string, Subscription[]>();
    for (const s of subscriptions)
      byChannel.set(s.channelId, [...(byChannel.get(s.channelId) ?? []), s]);
    for (const [id, subs] of byChannel) this.subscriptions.set(id, subs);
  }

  channelIds(): string[] {
    return [...this.channels.keys()];
  }

  channel(id: string): Channel | undefined {
    return this.channels.get(id);
  }

  state(id: string): ChannelState {
    return this.states.get(id) ?? INITIAL_STATE;
  }

  get policy(): Policy {
    return this.deps.policy;
  }

  /** Counts of channels by API status, for metrics. */
  statusCounts(): Record<string, number> {
    const counts: Record<string, number> = { unknown: 0, live: 0, offline: 0, unreachable: 0 };
    for (const id of this.channels.keys()) {
      const status = channelStatus(this.state(id), this.deps.policy);
      counts[status] = (counts[status] ?? 0) + 1;
    }
    return counts;
  }

  /** A channel was created or changed (config or API); its remembered state is kept. */
  setChannel(channel: Channel, subscriptions: readonly Subscription[]): void {
    this.channels.set(channel.id, channel);
    this.subscriptions.set(channel.id, subscriptions);
  }

  /**
   * Forgets a channel's state, in the store and here (its URL changed): the next observation is a
   * first sight and announces nothing, instead of comparing with what another URL showed.
   */
  async resetState(id: string): Promise<void> {
    this.states.delete(id);
    this.prefetched.delete(id);
    this.dirty.delete(id);
    this.touched.delete(id);
    await this.deps.store.resetState(id);
    this.deps.bus.publish({
      type: 'state',
      channelId: id,
      status: channelStatus(INITIAL_STATE, this.deps.policy),
      title: null,
    });
  }

  removeChannel(id: string): void {
    this.channels.delete(id);
    this.subscriptions.delete(id);
    this.states.delete(id);
    this.dirty.delete(id);
    this.touched.delete(id);
  }

  /**
   * Reads these channels' states in one query for their next decisions, instead of one read per
   * decision (`readThrough`): a cluster worker about to poll a shard it holds the lease of.
   */
  async prefetchStates(channelIds: readonly string[]): Promise<void> {
    // Decisions of a single process read its memory, which is always current.
    if (this.deps.readThrough !== true || channelIds.length === 0) return;
    const states = await this.deps.store.getStates(channelIds);
    for (const id of channelIds) this.prefetched.set(id, states.get(id) ?? INITIAL_STATE);
  }

  /** Decides on one observation and persists what it changed. Serialised per channel. */
  observe(channelId: string, observation: Observation): Promise<void> {
    const previous = this.queues.get(channelId) ?? Promise.resolve();
    const next = previous.then(() => this.step(channelId, observation));
    const tail = next.catch(() => undefined);
    this.queues.set(channelId, tail);
    void tail.then(() => {
      if (this.queues.get(channelId) === tail) this.queues.delete(channelId);
    });
    return next;
  }

  private async step(channelId: string, observation: Observation): Promise<void> {
    const channel = this.channels.get(channelId);
    if (!channel) return;
    const ahead = this.prefetched.get(channelId);
    this.prefetched.delete(channelId);
    const prev =
      ahead ??
      (this.deps.readThrough
        ? ((await this.deps.store.getState(channelId)) ?? INITIAL_STATE)
        : this.state(channelId));
    const now = this.deps.clock.now();
    // Platform strings are bounded here, once, before anything stores or announces them.
    const clipped = clipObservation(observation);
    const { state, events } = decide(channelId, prev, clipped, this.deps.policy, now);
    this.logReachability(channelId, prev, state);
    // A change that announces nothing is written in the next batch (`flush`): losing it in a crash
    // re-derives the same state from the next probe and can neither lose nor double an event.
    // Cluster processes read each other's state from the store, so they write such changes at once.
    const material =
      prev === INITIAL_STATE || isMaterialChange(prev, state, this.deps.policy.unreachableAfter);
    if (events.length === 0 && !(material && this.deps.readThrough === true)) {
      this.states.set(channelId, state);
      (material ? this.dirty : this.touched).add(channelId);
      if (material)
        this.deps.bus.publish({
          type: 'state',
          channelId,
          status: channelStatus(state, this.deps.policy),
          title: state.title,
        });
      return;
    }
    const snapshot = snapshotOf(channel, state);
    const stored: StoredEvent[] = events.map((e) => ({ ...e, channel: snapshot }));
    const subs = this.subscriptions.get(channelId) ?? [];
    const deliveries = stored
      .filter((e) => e.suppressed === null)
      .flatMap((e) =>
        subs
          .filter((s) => wantsDelivery(s, e.kind))
          .map((s) => ({ eventId: e.id, targetId: s.targetId })),
      );
    await this.deps.store.commit({ channelId, state, events: stored, deliveries });
    // Only after the commit: a crash before it must leave memory and disk agreeing.
    if (!this.channels.has(channelId)) return;
    this.states.set(channelId, state);
    this.dirty.delete(channelId);
    this.touched.delete(channelId);
    const log = this.deps.logger.child({ channel: channelId });
    for (const e of stored) {
      log.info(
        { event: e.kind, id: e.id, suppressed: e.suppressed ?? undefined },
        e.suppressed ? 'event suppressed' : 'event announced',
      );
      this.deps.bus.publish({ type: 'event', event: e });
    }
    this.deps.bus.publish({
      type: 'state',
      channelId,
      status: channelStatus(state, this.deps.policy),
      title: state.title,
    });
    if (deliveries.length > 0) this.deps.onDeliveriesQueued();
  }

  /** One line when a channel becomes unreachable and one when it answers again, not one per probe. */
  private logReachability(channelId: string, prev: ChannelState, next: ChannelState): void {
    const policy = this.deps.policy;
    const was = channelStatus(prev, policy) === 'unreachable';
    const is = channelStatus(next, policy) === 'unreachable';
    if (was === is) return;
    if (is)
      this.deps.logger.warn(
        { channel: channelId, failures: next.consecutiveFailures, error: next.lastError },
        'channel unreachable',
      );
    else this.deps.logger.info({ channel: channelId }, 'channel reachable again');
  }

  /** Writes, in one batch, the states of channels whose probes announced nothing. */
  /**
   * Writes what is due: changed states at every call, and the probe bookkeeping (last check time,
   * failure counters) of the rest at most every `BOOKKEEPING_EVERY_MS`, so a channel probed often
   * is written once for many probes. `all` writes everything (shutdown).
   */
  flush(all = true): Promise<void> {
    // One batch at a time, so an older batch can never land after a newer one.
    this.flushing ??= this.writeStates(all).finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  private async writeStates(all: boolean): Promise<void> {
    const now = this.deps.clock.now();
    const withBookkeeping = all || now - this.lastBookkeepingAt >= BOOKKEEPING_EVERY_MS;
    const ids = withBookkeeping ? [...this.dirty, ...this.touched] : [...this.dirty];
    if (withBookkeeping) {
      this.touched.clear();
      this.lastBookkeepingAt = now;
    }
    this.dirty.clear();
    const batch: StateTouch[] = [];
    for (const channelId of ids) {
      const state = this.states.get(channelId);
      if (state) batch.push({ channelId, state });
    }
    if (batch.length === 0) return;
    try {
      await this.deps.store.touch(batch);
    } catch (error) {
      // Try again with the next batch (the state written then is the newest one anyway).
      for (const t of batch) if (this.channels.has(t.channelId)) this.dirty.add(t.channelId);
      throw error;
    }
  }
}

/** A subscription gets the events it asked for, and `offline` too when it wants its live message edited or retracted. */
function wantsDelivery(subscription: Subscription, kind: EventKind): boolean {
  return (
    subscription.events.includes(kind) ||
    (kind === 'offline' && subscriptionWishes(subscription).onOffline !== 'none')
  );
}
