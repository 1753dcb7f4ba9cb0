import type { Instant } from './time.js';

/** A channel onair watches. `platform` names an adapter in the platform registry. */
export interface Channel {
  readonly id: string;
  readonly platform: string;
  readonly url: string;
  /** Display name; when null, notifications fall back to what the platform reports. */
  readonly name: string | null;
  /** Poll interval for this channel; null means the global `poll.interval`. */
  readonly intervalMs: number | null;
  /** Platform-specific settings (for example `webhookSecret`). Never shown unredacted. */
  readonly options: Readonly<Record<string, unknown>>;
}

/** The event kinds a subscriber can ask for. */
export type EventKind = 'live' | 'title' | 'offline';
export const EVENT_KINDS: readonly EventKind[] = ['live', 'title', 'offline'];

/** What a platform says about a channel right now. A failure is a value and never means offline. */
export type Observation =
  | {
      readonly kind: 'live';
      readonly title: string | null;
      /** When the platform says the stream started, if it says. */
      readonly startedAt: Instant | null;
      readonly tags: readonly string[];
      readonly viewers: number | null;
      readonly thumbnail: string | null;
      /** The channel's display name as the platform reports it, if known. */
      readonly name: string | null;
    }
  | {
      readonly kind: 'offline';
      /** `stalled`: the stream stopped advancing (a frozen playlist, an FLV stream without tags). */
      readonly reason?: 'stalled' | undefined;
      /** When the stream stopped, if known (a stall): the reconnect grace counts from there. */
      readonly since?: Instant | undefined;
    }
  | { readonly kind: 'failed'; readonly error: string; readonly retryable: boolean };

export type LiveObservation = Extract<Observation, { kind: 'live' }>;

/** Liveness as last successfully observed. `unreachable` is derived from the failure counter. */
export type Liveness = 'unknown' | 'live' | 'offline';
export type ChannelStatus = Liveness | 'unreachable';

/** What onair remembers about a channel between observations (and across restarts). */
export interface ChannelState {
  readonly liveness: Liveness;
  readonly title: string | null;
  readonly tags: readonly string[];
  readonly viewers: number | null;
  readonly thumbnail: string | null;
  readonly platformName: string | null;
  /** Start of the current (or last) live session; kept across a reconnect within the grace. */
  readonly liveSince: Instant | null;
  readonly offlineSince: Instant | null;
  /** Last `live` or `title` announcement (the cooldown clock). */
  readonly lastNotifiedAt: Instant | null;
  /** Subscribers know this session is live (announced, or already live when first seen). */
  readonly liveAnnounced: boolean;
  /** The drop that ended the session is confirmed (the reconnect grace has passed). */
  readonly offlineAnnounced: boolean;
  /** Title announcements in this session; part of their event ids. */
  readonly titleRevision: number;
  readonly lastCheckedAt: Instant | null;
  readonly consecutiveFailures: number;
  readonly lastError: string | null;
}

export const INITIAL_STATE: ChannelState = {
  liveness: 'unknown',
  title: null,
  tags: [],
  viewers: null,
  thumbnail: null,
  platformName: null,
  liveSince: null,
  offlineSince: null,
  lastNotifiedAt: null,
  liveAnnounced: false,
  offlineAnnounced: false,
  titleRevision: 0,
  lastCheckedAt: null,
  consecutiveFailures: 0,
  lastError: null,
};

/** Policy knobs of the decision. */
export interface Policy {
  readonly reconnectGraceMs: number;
  readonly notifyCooldownMs: number;
  /** Consecutive failed probes after which the API shows the channel `unreachable`. */
  readonly unreachableAfter: number;
}

/** Why an event was recorded but not announced. */
export type SuppressionReason =
  'firstObservation' | 'reconnectGrace' | 'cooldown' | 'liveNotAnnounced';

/** An event the decision produced: announced (suppressed null) or recorded with its reason. */
export interface ChannelEvent {
  /** Derived from content (channel, session, kind, revision): a replay yields the same id. */
  readonly id: string;
  readonly channelId: string;
  readonly kind: EventKind;
  readonly title: string | null;
  readonly tags: readonly string[];
  /** Start of the live session the event belongs to. */
  readonly startedAt: Instant | null;
  /** When onair detected it. */
  readonly at: Instant;
  readonly suppressed: SuppressionReason | null;
}

export function channelStatus(
  state: ChannelState,
  policy: Pick<Policy, 'unreachableAfter'>,
): ChannelStatus {
  return state.consecutiveFailures >= policy.unreachableAfter ? 'unreachable' : state.liveness;
}
