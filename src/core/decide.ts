import { contentId } from './event-id.js';
import type {
  ChannelEvent,
  ChannelState,
  EventKind,
  LiveObservation,
  Observation,
  Policy,
  SuppressionReason,
} from './model.js';
import type { Instant } from './time.js';

export interface Decision {
  readonly state: ChannelState;
  /** Announced events first in the order they happened; suppressed ones carry their reason. */
  readonly events: readonly ChannelEvent[];
}

/**
 * The sentinel's decision: given what onair remembers about a channel and a fresh observation,
 * the next state and the events to announce or record. Pure: no clock, no I/O.
 *
 * Rules (ARCHITECTURE.md): 1 first sight announces nothing; 2 offline → live within the
 * reconnect grace announces nothing (or `title` if the title changed); 3 a new title while live
 * announces `title`, or `live` if this session's go-live was never announced; 4 live → offline
 * is remembered and announced as `offline` once the grace has passed without a reconnect;
 * 5 nothing is announced within the cooldown of the previous announcement (recorded instead);
 * 6 a failed probe only moves the failure counters; 7 the state is all there is, so a restart
 * that reloads it re-announces nothing.
 */
export function decide(
  channelId: string,
  state: ChannelState,
  observation: Observation,
  policy: Policy,
  now: Instant,
): Decision {
  if (observation.kind === 'failed') {
    return {
      state: {
        ...state,
        lastCheckedAt: now,
        consecutiveFailures: state.consecutiveFailures + 1,
        lastError: observation.error,
      },
      events: [],
    };
  }
  const checked: ChannelState = {
    ...state,
    lastCheckedAt: now,
    consecutiveFailures: 0,
    lastError: null,
  };
  const step = new Step(channelId, policy, now);
  const next =
    observation.kind === 'live'
      ? step.live(checked, observation)
      : step.offline(checked, observation.since);
  return { state: next, events: step.events };
}

/** Collects the events of one decision while the rules build the next state. */
class Step {
  readonly events: ChannelEvent[] = [];
  private readonly channelId: string;
  private readonly policy: Policy;
  private readonly now: Instant;

  constructor(channelId: string, policy: Policy, now: Instant) {
    this.channelId = channelId;
    this.policy = policy;
    this.now = now;
  }

  live(state: ChannelState, obs: LiveObservation): ChannelState {
    const title = normaliseTitle(obs.title);
    const details = {
      tags: obs.tags,
      viewers: obs.viewers,
      thumbnail: obs.thumbnail,
      platformName: obs.name ?? state.platformName,
    };
    switch (state.liveness) {
      case 'unknown': {
        // Rule 1: whatever was live before onair looked is taken as known.
        const next: ChannelState = {
          ...state,
          ...details,
          liveness: 'live',
          title,
          liveSince: obs.startedAt ?? this.now,
          liveAnnounced: true,
          offlineAnnounced: false,
          titleRevision: 0,
        };
        this.push(next, 'live', 'firstObservation');
        return next;
      }
      case 'offline': {
        const withinGrace =
          state.offlineSince !== null &&
          !state.offlineAnnounced &&
          this.now - state.offlineSince < this.policy.reconnectGraceMs;
        if (withinGrace) {
          // Rule 2: the same session goes on.
          const next: ChannelState = { ...state, ...details, liveness: 'live', title };
          if (title !== null && title !== state.title) return this.titleChanged(next);
          this.push(next, 'live', 'reconnectGrace');
          return next;
        }
        // The previous session's drop was never confirmed (no successful probe in the grace).
        const confirmed = state.offlineAnnounced ? state : this.confirmOffline(state);
        const next: ChannelState = {
          ...confirmed,
          ...details,
          liveness: 'live',
          title,
          liveSince: obs.startedAt ?? this.now,
          offlineAnnounced: false,
          titleRevision: 0,
        };
        return this.announceLive(next);
      }
      case 'live': {
        // Rule 3.
        const next: ChannelState = { ...state, ...details, title };
        if (title !== null && title !== state.title) return this.titleChanged(next);
        return next;
      }
    }
  }

  /** `since`: when the stream stopped, if the platform knows (a stall); never later than now. */
  offline(state: ChannelState, since: Instant | undefined): ChannelState {
    switch (state.liveness) {
      case 'unknown':
        // Rule 1: offline at first sight; no known drop time, so no grace applies later.
        return {
          ...state,
          liveness: 'offline',
          offlineSince: null,
          offlineAnnounced: true,
          liveAnnounced: false,
        };
      case 'live': {
        // Rule 4: remember when; announce once the grace has passed. A stall is noticed only
        // after its threshold, but the stream stopped earlier: the grace counts from then.
        const offlineSince = since !== undefined && since < this.now ? since : this.now;
        const next: ChannelState = {
          ...state,
          liveness: 'offline',
          offlineSince,
          offlineAnnounced: false,
          viewers: null,
        };
        return this.now - offlineSince >= this.policy.reconnectGraceMs
          ? this.confirmOffline(next)
          : next;
      }
      case 'offline': {
        const due =
          !state.offlineAnnounced &&
          state.offlineSince !== null &&
          this.now - state.offlineSince >= this.policy.reconnectGraceMs;
        return due ? this.confirmOffline(state) : state;
      }
    }
  }

  private titleChanged(state: ChannelState): ChannelState {
    if (!state.liveAnnounced) return this.announceLive(state);
    const next = { ...state, titleRevision: state.titleRevision + 1 };
    return this.announce(next, 'title');
  }

  private announceLive(state: ChannelState): ChannelState {
    const next = this.announce(state, 'live');
    return { ...next, liveAnnounced: next.lastNotifiedAt === this.now };
  }

  /** Rule 5: announce unless within the cooldown; the state advances either way. */
  private announce(state: ChannelState, kind: 'live' | 'title'): ChannelState {
    const cooling =
      state.lastNotifiedAt !== null &&
      this.now - state.lastNotifiedAt < this.policy.notifyCooldownMs;
    if (cooling) {
      this.push(state, kind, 'cooldown');
      return state;
    }
    this.push(state, kind, null);
    return { ...state, lastNotifiedAt: this.now };
  }

  private confirmOffline(state: ChannelState): ChannelState {
    if (state.liveAnnounced) this.push(state, 'offline', null);
    else this.push(state, 'offline', 'liveNotAnnounced');
    return { ...state, offlineAnnounced: true };
  }

  private push(state: ChannelState, kind: EventKind, suppressed: SuppressionReason | null): void {
    const session = state.liveSince ?? 0;
    const id =
      suppressed !== null
        ? contentId(this.channelId, kind, session, 'suppressed', suppressed, this.now)
        : kind === 'title'
          ? contentId(this.channelId, kind, session, state.titleRevision)
          : contentId(this.channelId, kind, session);
    this.events.push({
      id,
      channelId: this.channelId,
      kind,
      title: state.title,
      tags: state.tags,
      startedAt: state.liveSince,
      at: this.now,
      suppressed,
    });
  }
}

function normaliseTitle(title: string | null): string | null {
  const trimmed = title?.trim() ?? '';
  return trimmed === '' ? null : trimmed;
}

/** Fields that move on nearly every probe; persisted in batches, not per probe. */
const BOOKKEEPING = new Set<keyof ChannelState>([
  'lastCheckedAt',
  'consecutiveFailures',
  'lastError',
  'viewers',
]);

/**
 * Whether `next` differs from `prev` in more than the probe bookkeeping (last check time,
 * failure count and error, viewer count), so the poll loop writes to the store only when something changed.
 */
export function isMaterialChange(
  prev: ChannelState,
  next: ChannelState,
  unreachableAfter: number,
): boolean {
  for (const key of Object.keys(next) as (keyof ChannelState)[]) {
    if (BOOKKEEPING.has(key)) continue;
    if (key === 'tags') {
      if (prev.tags.join('\u0000') !== next.tags.join('\u0000')) return true;
      continue;
    }
    if (prev[key] !== next[key]) return true;
  }
  const wasUnreachable = prev.consecutiveFailures >= unreachableAfter;
  const isUnreachable = next.consecutiveFailures >= unreachableAfter;
  return wasUnreachable !== isUnreachable;
}
