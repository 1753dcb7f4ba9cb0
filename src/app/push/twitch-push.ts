import type { Channel, Observation } from '../../core/model.js';
import type { Cancel, Timers } from '../../ports/clock.js';
import type { Logger } from '../../ports/logger.js';
import type { PollLoop, PushStatus } from '../poll-loop.js';
import type { Sentinel } from '../sentinel.js';
import type {
  EventSubConnector,
  EventSubSession,
  SessionEnd,
  TwitchPushApi,
  TwitchPushEvent,
} from './ports.js';

export interface TwitchPushDeps {
  readonly sentinel: Sentinel;
  readonly poll: PollLoop;
  readonly api: TwitchPushApi;
  readonly eventsub: EventSubConnector;
  readonly timers: Timers;
  readonly logger: Logger;
  /** EventSub cost budget of one user token (PROTOCOLS.md §2.5: 10; 1 per foreign subscription). */
  readonly maxTotalCost: number;
  /** Reconnect backoff: the first retry is immediate, then base · 2ⁿ up to max. */
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  /** Consecutive sessions that ended without a single subscription, after which push gives up. */
  readonly maxEmptySessions: number;
}

interface Planned {
  readonly channel: Channel;
  readonly broadcasterId: string;
  /** Budget left over for `channel.update` (title changes between polls). */
  readonly update: boolean;
}

/** Each covered channel costs `stream.online` + `stream.offline`. */
const CHANNEL_COST = 2;

/**
 * Twitch push: one EventSub WebSocket session for as many Twitch channels as the user token's cost
 * budget allows (the rest stay on Helix polling, and say so in the API). After every fresh session
 * it subscribes and then reconciles with one Helix poll, so a transition missed while disconnected
 * is still announced (once: event ids are content-derived). Notifications become observations
 * through the sentinel, in arrival order per channel. A revoked channel, or any channel while the
 * session is down, falls back to regular polling.
 */
export class TwitchPush {
  private readonly deps: TwitchPushDeps;
  private plan: Planned[] = [];
  private prepared = false;
  private readonly byBroadcaster = new Map<string, string>();
  private readonly covered = new Set<string>();
  private session: EventSubSession | null = null;
  private retry: Cancel | null = null;
  private attempts = 0;
  private emptySessions = 0;
  private stopped = false;
  private readonly queues = new Map<string, Promise<void>>();
  private readonly work = new Set<Promise<void>>();

  constructor(deps: TwitchPushDeps) {
    this.deps = deps;
  }

  /** Plans coverage for the Twitch channels known now and opens the session. */
  start(): void {
    const channels = this.twitchChannels();
    if (channels.length === 0) return;
    if (!this.deps.api.hasUserToken) {
      for (const c of channels)
        this.status(
          c.id,
          'poll',
          'EventSub needs a user access token (twitch.userToken); polled by Helix',
        );
      return;
    }
    for (const c of channels) this.status(c.id, 'poll', 'EventSub connecting');
    this.track(this.connect());
  }

  stop(): void {
    this.stopped = true;
    this.retry?.();
    this.retry = null;
    this.session?.close();
    this.session = null;
    // Another process may take push over (its lease); until it does, these are polled normally.
    for (const id of this.covered) this.deps.poll.setPush(id, null);
    this.covered.clear();
  }

  /** Resolves when no notification, subscription or reconcile is in progress (tests, benchmarks). */
  async whenIdle(): Promise<void> {
    while (this.work.size > 0) await Promise.all([...this.work]);
  }

  private get halted(): boolean {
    return this.stopped;
  }

  private twitchChannels(): Channel[] {
    return this.deps.sentinel
      .channelIds()
      .map((id) => this.deps.sentinel.channel(id))
      .filter((c): c is Channel => c?.platform === 'twitch')
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  private async connect(): Promise<void> {
    this.retry = null;
    if (this.stopped) return;
    if (!this.prepared && !(await this.prepare())) {
      this.reconnectLater();
      return;
    }
    // stop() may have come during the user lookup.
    if (this.plan.length === 0 || this.halted) return;
    const log = this.deps.logger;
    this.session = this.deps.eventsub.open({
      welcome: (sessionId, resumed) => {
        if (resumed)
          log.info(
            {},
            'EventSub session resumed after session_reconnect; subscriptions moved with it',
          );
        else this.track(this.subscribeAll(sessionId));
      },
      notification: (event) => {
        this.notification(event);
      },
      revocation: (type, broadcasterId, status) => {
        this.revocation(type, broadcasterId, status);
      },
      ended: (end) => {
        this.ended(end);
      },
    });
  }

  /** Looks up user ids and fits channels into the cost budget, in id order so the choice is stable. */
  private async prepare(): Promise<boolean> {
    const channels = this.twitchChannels();
    const logins = new Map(channels.map((c) => [c.id, this.deps.api.login(c)]));
    const ids = await this.deps.api.userIds([
      ...new Set([...logins.values()].filter((l): l is string => l !== null)),
    ]);
    if (!ids.ok) {
      if (ids.retryable)
        for (const c of channels)
          this.status(
            c.id,
            'poll',
            `cannot look up Twitch users (${ids.error}); polled by Helix, retrying`,
          );
      else this.giveUp(`cannot look up Twitch users: ${ids.error}`);
      return false;
    }
    let budget = this.deps.maxTotalCost;
    const plan: { channel: Channel; broadcasterId: string }[] = [];
    for (const c of channels) {
      const login = logins.get(c.id) ?? null;
      const broadcasterId = login === null ? undefined : ids.value.get(login);
      if (broadcasterId === undefined) {
        this.status(c.id, 'poll', `Twitch has no user "${login ?? c.url}"`);
      } else if (budget < CHANNEL_COST) {
        this.status(
          c.id,
          'poll',
          `over the EventSub cost budget (max_total_cost ${this.deps.maxTotalCost}); polled by Helix`,
        );
      } else {
        budget -= CHANNEL_COST;
        plan.push({ channel: c, broadcasterId });
      }
    }
    this.plan = plan.map((p) => {
      const update = budget > 0;
      if (update) budget--;
      return { ...p, update };
    });
    for (const p of this.plan) this.byBroadcaster.set(p.broadcasterId, p.channel.id);
    this.prepared = true;
    return true;
  }

  private async subscribeAll(sessionId: string): Promise<void> {
    const session = this.session;
    const covered: Planned[] = [];
    for (const p of this.plan) {
      if (this.session !== session || this.stopped) return;
      const types: [string, string][] = [
        ['stream.online', '1'],
        ['stream.offline', '1'],
      ];
      let failure: { status?: number; error: string } | null = null;
      for (const [type, version] of types) {
        const result = await this.deps.api.subscribe(type, version, p.broadcasterId, sessionId);
        if (!result.ok) {
          failure = result;
          break;
        }
      }
      if (failure?.status === 401 || failure?.status === 403) {
        const reason =
          failure.status === 401
            ? 'Twitch refused the user token (HTTP 401): it is invalid or expired; renew twitch.userToken'
            : 'Twitch refused the subscription (HTTP 403): the user token does not belong to twitch.clientId or lacks authorization';
        this.deps.logger.error({ status: failure.status }, reason);
        this.session?.close();
        this.session = null;
        this.giveUp(reason);
        return;
      }
      if (failure) {
        const reason =
          failure.status === 429
            ? 'Twitch refused the subscription: cost budget exceeded (HTTP 429)'
            : `EventSub subscription failed: ${failure.error}`;
        this.deps.logger.warn({ channel: p.channel.id }, reason);
        this.status(p.channel.id, 'poll', `${reason}; polled by Helix`);
        continue;
      }
      if (p.update) {
        const update = await this.deps.api.subscribe(
          'channel.update',
          '2',
          p.broadcasterId,
          sessionId,
        );
        if (!update.ok)
          this.deps.logger.warn(
            { channel: p.channel.id, error: update.error },
            'channel.update subscription failed; titles come from polling',
          );
      }
      covered.push(p);
    }
    if (this.session !== session || this.stopped) return;
    if (covered.length === 0) {
      this.session?.close();
      this.session = null;
      this.emptySession('no subscription could be created');
      return;
    }
    this.emptySessions = 0;
    this.attempts = 0;
    for (const p of covered) {
      this.covered.add(p.channel.id);
      this.status(p.channel.id, 'push', null);
    }
    this.deps.logger.info({ channels: covered.length }, 'EventSub subscribed');
    await this.reconcile(covered.map((p) => p.channel));
  }

  /** One Helix poll of the channels, through the same per-channel queue as notifications. */
  private async reconcile(channels: readonly Channel[]): Promise<void> {
    const observations = await this.deps.api.poll(channels);
    await Promise.all(
      channels.map((c) => {
        const observation = observations.get(c.id);
        return observation
          ? this.enqueue(c.id, () => this.deps.sentinel.observe(c.id, observation))
          : Promise.resolve();
      }),
    );
  }

  private notification(event: TwitchPushEvent): void {
    const channelId = this.byBroadcaster.get(event.broadcasterId);
    if (channelId === undefined || !this.deps.sentinel.channel(channelId)) return;
    this.track(this.enqueue(channelId, () => this.apply(channelId, event)));
  }

  private async apply(channelId: string, event: TwitchPushEvent): Promise<void> {
    const state = this.deps.sentinel.state(channelId);
    let observation: Observation;
    switch (event.type) {
      case 'stream.online': {
        // stream.online has no title; without one the next poll would announce a title change.
        const details = await this.deps.api.details(event.broadcasterId);
        observation = {
          kind: 'live',
          title: details.ok ? details.value.title : state.title,
          startedAt: event.startedAt,
          tags: details.ok ? details.value.tags : state.tags,
          viewers: null,
          thumbnail: null,
          name: event.name ?? (details.ok ? details.value.name : null),
        };
        break;
      }
      case 'stream.offline':
        observation = { kind: 'offline' };
        break;
      case 'channel.update':
        // A title set while offline reaches subscribers with the next go-live, not now.
        if (state.liveness !== 'live') return;
        observation = {
          kind: 'live',
          title: event.title,
          startedAt: state.liveSince,
          tags: event.tags,
          viewers: state.viewers,
          thumbnail: state.thumbnail,
          name: state.platformName,
        };
        break;
    }
    await this.deps.sentinel.observe(channelId, observation);
  }

  private revocation(type: string, broadcasterId: string | null, status: string): void {
    const channelId = broadcasterId === null ? undefined : this.byBroadcaster.get(broadcasterId);
    if (channelId === undefined) return;
    this.deps.logger.warn(
      { channel: channelId, type, status },
      'Twitch revoked an EventSub subscription; polling instead',
    );
    this.plan = this.plan.filter((p) => p.channel.id !== channelId);
    this.byBroadcaster.delete(broadcasterId!);
    this.covered.delete(channelId);
    this.status(
      channelId,
      'poll',
      `Twitch revoked the ${type} subscription (${status}); polled by Helix`,
    );
    if (this.plan.length === 0) {
      // Nothing left to listen for: an empty session would only be closed as unused (4003).
      this.session?.close();
      this.session = null;
    }
  }

  private ended(end: SessionEnd): void {
    this.session = null;
    if (this.stopped) return;
    this.deps.logger.warn({ code: end.code, reason: end.reason }, 'EventSub session ended');
    for (const id of this.covered)
      this.status(id, 'poll', `${end.reason}; reconnecting, polled by Helix meanwhile`);
    this.covered.clear();
    if (end.unused) this.emptySession(end.reason);
    else this.reconnectLater();
  }

  private emptySession(reason: string): void {
    this.emptySessions++;
    if (this.emptySessions >= this.deps.maxEmptySessions) {
      this.giveUp(
        `EventSub gave up after ${this.emptySessions} sessions without a subscription (${reason})`,
      );
      return;
    }
    this.reconnectLater();
  }

  private reconnectLater(): void {
    if (this.stopped || this.retry) return;
    const delay =
      this.attempts === 0
        ? 0
        : Math.min(this.deps.retryBaseMs * 2 ** (this.attempts - 1), this.deps.retryMaxMs);
    this.attempts++;
    this.retry = this.deps.timers.after(delay, () => {
      this.track(this.connect());
    });
  }

  /** Stops push for good; every Twitch channel is polled and says why (a revoked one keeps its reason). */
  private giveUp(reason: string): void {
    this.stopped = true;
    this.deps.logger.error({ reason }, 'Twitch push stopped; all Twitch channels are polled');
    for (const c of this.twitchChannels()) {
      const current = this.deps.poll.pushStatus(c.id);
      if (current?.reason?.startsWith('Twitch revoked') !== true)
        this.status(c.id, 'poll', `${reason}; polled by Helix`);
    }
  }

  private status(channelId: string, mode: PushStatus['mode'], reason: string | null): void {
    this.deps.poll.setPush(channelId, { mode, reason });
  }

  /** Runs `fn` after everything queued for the channel, so events apply in arrival order. */
  private enqueue(channelId: string, fn: () => Promise<void>): Promise<void> {
    const previous = this.queues.get(channelId) ?? Promise.resolve();
    const next = previous.then(fn).catch((err: unknown) => {
      this.deps.logger.error({ channel: channelId, err }, 'could not apply a Twitch push event');
    });
    this.queues.set(channelId, next);
    void next.then(() => {
      if (this.queues.get(channelId) === next) this.queues.delete(channelId);
    });
    return next;
  }

  private track(p: Promise<void>): void {
    const tracked = p.catch((err: unknown) => {
      this.deps.logger.error({ err }, 'Twitch push failed');
    });
    this.work.add(tracked);
    void tracked.then(() => this.work.delete(tracked));
  }
}
