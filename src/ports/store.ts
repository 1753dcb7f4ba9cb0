import type { Channel, ChannelEvent, ChannelState, EventKind } from '../core/model.js';
import type { ChannelSnapshot } from '../core/notification.js';
import type { Instant } from '../core/time.js';
import type { Target } from './notifier.js';

/** A channel's wish to hear about some events on a target. */
export interface Subscription {
  readonly channelId: string;
  readonly targetId: string;
  readonly events: readonly EventKind[];
  /** Notifier-specific wishes (e.g. what to do with the live notice when the stream ends). */
  readonly options: Readonly<Record<string, unknown>>;
}

/** Who made a channel or target: the config file, the API, or a chat bot (for a chat's subscriptions). */
export type ChannelSource = 'config' | 'api' | 'bot';

/** A channel with its subscriptions, as written together. */
export interface ChannelEntry {
  readonly channel: Channel;
  readonly subscriptions: readonly Subscription[];
}

export interface StoredChannel extends Channel {
  readonly source: ChannelSource;
  readonly createdAt: Instant;
  readonly updatedAt: Instant;
}

export interface StoredTarget extends Target {
  readonly source: ChannelSource;
  readonly createdAt: Instant;
}

/** An event as kept in the history, with the channel as it was. */
export interface StoredEvent extends ChannelEvent {
  readonly channel: ChannelSnapshot;
}

export type DeliveryStatus = 'pending' | 'sent' | 'failed';

/** One row of the outbox: an announced event for one target. */
export interface Delivery {
  /** Monotonic; orders deliveries of one channel to one target. */
  readonly seq: number;
  readonly eventId: string;
  readonly targetId: string;
  readonly channelId: string;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  readonly nextAttemptAt: Instant;
  readonly lastError: string | null;
  readonly providerMessageId: string | null;
  readonly createdAt: Instant;
  readonly updatedAt: Instant;
}

export interface DueDelivery {
  readonly delivery: Delivery;
  readonly event: StoredEvent;
}

/** Probe bookkeeping written in batches (see `isMaterialChange`). */
export interface StateTouch {
  readonly channelId: string;
  readonly state: ChannelState;
}

/** Everything one decision writes, committed in one transaction. */
export interface Commit {
  readonly channelId: string;
  readonly state: ChannelState;
  readonly events: readonly StoredEvent[];
  /** Targets to deliver each announced event to. */
  readonly deliveries: readonly { readonly eventId: string; readonly targetId: string }[];
}

export interface EventQuery {
  readonly channelId?: string;
  readonly limit: number;
  /** Only events before this one (paging by id order is not meaningful; by time it is). */
  readonly before?: Instant;
}

/** The persistence port; one adapter per database, all passing the same contract suite. */
export interface Store {
  listChannels(): Promise<StoredChannel[]>;
  getChannel(id: string): Promise<StoredChannel | undefined>;
  /** Creates or replaces a channel and its subscriptions. */
  putChannel(
    channel: Channel,
    subscriptions: readonly Subscription[],
    source: ChannelSource,
    now: Instant,
  ): Promise<void>;
  /** Creates or replaces many channels with their subscriptions, in one transaction. */
  putChannels(entries: readonly ChannelEntry[], source: ChannelSource, now: Instant): Promise<void>;
  deleteChannel(id: string): Promise<boolean>;

  listTargets(): Promise<StoredTarget[]>;
  getTarget(id: string): Promise<StoredTarget | undefined>;
  putTarget(target: Target, source: ChannelSource, now: Instant): Promise<void>;
  /** Refuses (returns 'inUse') while subscriptions point at it. */
  deleteTarget(id: string): Promise<'deleted' | 'notFound' | 'inUse'>;

  listSubscriptions(channelId?: string): Promise<Subscription[]>;

  loadStates(): Promise<Map<string, ChannelState>>;
  getState(channelId: string): Promise<ChannelState | undefined>;
  /** The states of these channels (those without one are absent): one read for many decisions. */
  getStates(channelIds: readonly string[]): Promise<Map<string, ChannelState>>;
  /** State, history and outbox rows of one decision, atomically. */
  commit(commit: Commit): Promise<void>;
  /** Probe bookkeeping for many channels in one transaction. */
  touch(touches: readonly StateTouch[]): Promise<void>;
  /**
   * Forgets a channel's state (its history stays): it now watches another URL, and nothing seen at
   * the old one (live, a title) may carry over. The next observation is a first sight.
   */
  resetState(channelId: string): Promise<void>;

  listEvents(query: EventQuery): Promise<StoredEvent[]>;
  getEvent(id: string): Promise<StoredEvent | undefined>;

  /** Pending deliveries due at `now`, oldest first, at most one per (channel, target) pair. */
  dueDeliveries(now: Instant, limit: number): Promise<DueDelivery[]>;
  /**
   * Like `dueDeliveries`, and leases what it returns to the caller for `leaseMs`: their
   * `nextAttemptAt` moves to `now + leaseMs`, so other processes draining the same outbox skip
   * them, and they fall due again if the caller dies before `updateDelivery`.
   */
  claimDueDeliveries(now: Instant, limit: number, leaseMs: number): Promise<DueDelivery[]>;
  /** When the next pending delivery falls due, if any. */
  nextDeliveryAt(): Promise<Instant | undefined>;
  updateDelivery(
    seq: number,
    change: Pick<
      Delivery,
      'status' | 'attempts' | 'nextAttemptAt' | 'lastError' | 'providerMessageId'
    >,
    now: Instant,
  ): Promise<void>;
  listDeliveries(query: {
    eventId?: string;
    targetId?: string;
    status?: DeliveryStatus;
    limit: number;
  }): Promise<Delivery[]>;
  countDeliveries(): Promise<Record<DeliveryStatus, number>>;
  /**
   * Forgets history older than `before` (config `history.retention`): finished deliveries
   * (`sent`, `failed`) last updated before it, then events before it that no delivery refers
   * to any more. Pending deliveries and their events are kept whatever their age.
   */
  pruneHistory(before: Instant): Promise<{ events: number; deliveries: number }>;

  /** Small settings (e.g. the generated admin token's hash). */
  getSetting(key: string): Promise<string | undefined>;
  setSetting(key: string, value: string): Promise<void>;

  close(): Promise<void>;
}

/** What a permission allows; `admin` allows everything, `manage` includes `read`. */
export type PermissionAction = 'read' | 'manage' | 'keepalive' | 'record' | 'admin';

/** One grant: an action on channels matching any pattern (`*`, an id, `prefix-*`); no list = all channels. */
export interface Permission {
  readonly action: PermissionAction;
  readonly channels?: readonly string[];
}

/** A user created through the API (config users live in the config file only). */
export interface StoredUser {
  readonly name: string;
  readonly permissions: readonly Permission[];
  /** IPs or CIDRs the user may call from; empty = anywhere. */
  readonly allowedIps: readonly string[];
  readonly createdAt: Instant;
}

/** An API token; only the SHA-256 of the secret is kept. */
export interface StoredToken {
  readonly id: string;
  readonly userName: string;
  /** A label chosen by its creator. */
  readonly name: string | null;
  /** Hex SHA-256 of the whole token string. */
  readonly hash: string;
  readonly createdAt: Instant;
  readonly expiresAt: Instant | null;
}

/** A web session; keyed by the hex SHA-256 of the cookie value. */
export interface StoredSession {
  readonly hash: string;
  readonly userName: string;
  /** The API token it was opened with, if any: revoking the token ends the session. */
  readonly tokenId: string | null;
  readonly createdAt: Instant;
  readonly expiresAt: Instant;
}

/** Persistence of API users, tokens and sessions. */
export interface AuthStore {
  listUsers(): Promise<StoredUser[]>;
  getUser(name: string): Promise<StoredUser | undefined>;
  /** Returns false (and changes nothing) when the name is taken. */
  insertUser(user: StoredUser): Promise<boolean>;
  updateUser(
    name: string,
    change: Pick<StoredUser, 'permissions' | 'allowedIps'>,
  ): Promise<boolean>;
  /** Deletes the user with its tokens and sessions, atomically. */
  deleteUser(name: string): Promise<boolean>;

  insertToken(token: StoredToken): Promise<void>;
  getToken(id: string): Promise<StoredToken | undefined>;
  /** Oldest first; all users' when `userName` is omitted. */
  listTokens(userName?: string): Promise<StoredToken[]>;
  /** Deletes the token and the sessions opened with it, atomically. */
  deleteToken(id: string): Promise<boolean>;

  insertSession(session: StoredSession): Promise<void>;
  getSession(hash: string): Promise<StoredSession | undefined>;
  deleteSession(hash: string): Promise<boolean>;
  /** Deletes sessions whose `expiresAt` is at or before `now`; returns how many. */
  deleteExpiredSessions(now: Instant): Promise<number>;
  /** Deletes all but the `keep` newest sessions of `userName`; returns how many went. */
  trimSessions(userName: string, keep: number): Promise<number>;
}

/** A synthetic reader that keeps a channel active without viewers; belongs to its creator. */
export interface StoredKeepalive {
  /** A random UUID. */
  readonly id: string;
  readonly channelId: string;
  readonly creatorUser: string;
  readonly creatorIp: string;
  /** The creator asked for the channel to be recorded while live. */
  readonly record: boolean;
  /** How it reads its channel: the media playlist like a player (`playlist`), or segments too (`full`). */
  readonly mode: 'playlist' | 'full';
  readonly createdAt: Instant;
  readonly expiresAt: Instant;
}

/** Persistence of keepalives. */
export interface KeepaliveStore {
  insertKeepalive(keepalive: StoredKeepalive): Promise<void>;
  getKeepalive(id: string): Promise<StoredKeepalive | undefined>;
  /** Oldest first, optionally only one creator's or one channel's. */
  listKeepalives(query?: {
    readonly creatorUser?: string;
    readonly channelId?: string;
  }): Promise<StoredKeepalive[]>;
  /** Returns false when it was already gone (so only one remover reports the removal). */
  deleteKeepalive(id: string): Promise<boolean>;
}

/** Where a recording part stands; parts of one live session share `session`. */
export type RecordingStatus = 'recording' | 'done' | 'failed';

/** One file part of a recording. */
export interface StoredRecording {
  /** `<session>.<part>`: derived from content, so a retry can never make a second row for one part. */
  readonly id: string;
  readonly channelId: string;
  /** `<channel>-<live since, UTC>`: the live session the part belongs to. */
  readonly session: string;
  /** 1, 2, … within the session (a new one after a split, a stall or a restart). */
  readonly part: number;
  /** Relative to `recordings.dir`, `/`-separated. */
  readonly path: string;
  readonly container: 'ts' | 'mp4' | 'flv';
  readonly startedAt: Instant;
  readonly endedAt: Instant | null;
  readonly bytes: number;
  readonly status: RecordingStatus;
  /** Why the part ended (`offline`, `stopped`, `stalled`, `diskFull`, `discontinuity`, `videoConfig`, `crash`, …). */
  readonly endReason: string | null;
  /**
   * Media duration in milliseconds (HLS: the written segments' `#EXTINF`s; FLV: the span of tag
   * timestamps), as opposed to wall-clock time; null or absent when not known (older rows).
   */
  readonly mediaMs?: number | null | undefined;
  /** Where an HLS recorder stood after its last written segment, so a restart neither repeats nor skips. */
  readonly resume: {
    readonly lastMsn: number;
    readonly lastDsn: number;
    readonly targetDuration: number;
  } | null;
}

/** Persistence of recording parts. */
export interface RecordingStore {
  /** Returns false (and changes nothing) when the id is taken. */
  insertRecording(recording: StoredRecording): Promise<boolean>;
  updateRecording(
    id: string,
    change: Partial<
      Pick<
        StoredRecording,
        'path' | 'container' | 'endedAt' | 'bytes' | 'status' | 'endReason' | 'resume' | 'mediaMs'
      >
    >,
  ): Promise<void>;
  getRecording(id: string): Promise<StoredRecording | undefined>;
  /** Oldest first (by start, then id). */
  listRecordings(query?: {
    readonly channelId?: string;
    readonly session?: string;
    readonly status?: RecordingStatus;
  }): Promise<StoredRecording[]>;
  deleteRecording(id: string): Promise<boolean>;
}

/** A schedule entry added by hand (one row each, edited one at a time). */
export interface StoredScheduleEntry {
  readonly id: string;
  readonly title: string;
  readonly start: Instant;
  /** Null: a point in time (an announced start without a known end). */
  readonly end: Instant | null;
  readonly channelId: string | null;
  readonly description: string | null;
  readonly url: string | null;
  readonly createdAt: Instant;
  readonly updatedAt: Instant;
}

/** A user's calendar subscription key (`calendar.ics?key=`); only the SHA-256 of the secret is kept. */
export interface StoredCalendarKey {
  readonly userName: string;
  /** Hex SHA-256 of the secret. */
  readonly hash: string;
  readonly createdAt: Instant;
}

/** Persistence of hand-added schedule entries and calendar keys. */
export interface ScheduleStore {
  /**
   * Entries overlapping `[from, to)` (an entry without an end counts as the instant it starts),
   * by start then id; all of them without a window.
   */
  listScheduleEntries(window?: {
    readonly from: Instant;
    readonly to: Instant;
  }): Promise<StoredScheduleEntry[]>;
  getScheduleEntry(id: string): Promise<StoredScheduleEntry | undefined>;
  /** Returns false (and changes nothing) when the id is taken. */
  insertScheduleEntry(entry: StoredScheduleEntry): Promise<boolean>;
  /** Replaces the editable fields; false when there is no such entry. */
  updateScheduleEntry(
    id: string,
    change: Pick<
      StoredScheduleEntry,
      'title' | 'start' | 'end' | 'channelId' | 'description' | 'url' | 'updatedAt'
    >,
  ): Promise<boolean>;
  deleteScheduleEntry(id: string): Promise<boolean>;
  countScheduleEntries(): Promise<number>;

  /** Creates or replaces the user's one key. */
  putCalendarKey(key: StoredCalendarKey): Promise<void>;
  getCalendarKey(userName: string): Promise<StoredCalendarKey | undefined>;
  /** The key whose secret hashes to `hash`, if any. */
  findCalendarKey(hash: string): Promise<StoredCalendarKey | undefined>;
  deleteCalendarKey(userName: string): Promise<boolean>;
}
