import type { Channel, Observation } from '../../core/model.js';
import type { Instant } from '../../core/time.js';

/** Ports of the Twitch push orchestration; the Twitch adapter implements them. */

/** A failure as a value; `status` is the HTTP status when Twitch answered. Never carries a secret. */
export interface PushFailure {
  readonly ok: false;
  readonly error: string;
  readonly retryable: boolean;
  readonly status?: number;
}
export type PushResult<T> = { readonly ok: true; readonly value: T } | PushFailure;

/** An EventSub notification, mapped from the wire (PROTOCOLS.md §2.6). */
export type TwitchPushEvent =
  | {
      readonly type: 'stream.online';
      readonly broadcasterId: string;
      readonly startedAt: Instant | null;
      readonly name: string | null;
    }
  | { readonly type: 'stream.offline'; readonly broadcasterId: string }
  | {
      readonly type: 'channel.update';
      readonly broadcasterId: string;
      readonly title: string;
      readonly tags: readonly string[];
    };

/** Why a session ended; every close code of §2.3 arrives here with its meaning. */
export interface SessionEnd {
  /** The WebSocket close code, or null when onair gave up on a silent or unreachable socket. */
  readonly code: number | null;
  /** Human-readable, for the API and the log. */
  readonly reason: string;
  /** Twitch closed it as unused (4003): no subscription arrived in time. */
  readonly unused: boolean;
}

/** What an EventSub session reports. Callbacks are never called after `close()`. */
export interface EventSubHandlers {
  /** A session is ready. `resumed`: it replaced another after `session_reconnect`, subscriptions moved with it. */
  welcome(sessionId: string, resumed: boolean): void;
  /** A notification seen for the first time (duplicates and messages older than 10 minutes are dropped). */
  notification(event: TwitchPushEvent): void;
  /** Twitch revoked a subscription (`authorization_revoked`, `user_removed`, `version_removed`). */
  revocation(type: string, broadcasterId: string | null, status: string): void;
  /** The session is gone; no further callbacks follow. */
  ended(end: SessionEnd): void;
}

export interface EventSubSession {
  close(): void;
}

/** Opens EventSub WebSocket sessions at the configured URL. */
export interface EventSubConnector {
  open(handlers: EventSubHandlers): EventSubSession;
}

export interface SubscriptionCost {
  readonly totalCost: number | null;
  readonly maxTotalCost: number | null;
}

/** The Helix calls push needs. */
export interface TwitchPushApi {
  /** Whether a user token is configured (WebSocket transport needs one). */
  readonly hasUserToken: boolean;
  /** The channel's Twitch login, or null when the URL is not a Twitch channel. */
  login(channel: Channel): string | null;
  userIds(logins: readonly string[]): Promise<PushResult<ReadonlyMap<string, string>>>;
  subscribe(
    type: string,
    version: string,
    broadcasterId: string,
    sessionId: string,
  ): Promise<PushResult<SubscriptionCost>>;
  /** Title, tags and display name for a `stream.online` (which carries no title). */
  details(broadcasterId: string): Promise<
    PushResult<{
      readonly title: string | null;
      readonly tags: readonly string[];
      readonly name: string | null;
    }>
  >;
  /** One Helix poll of these channels (batched). */
  poll(channels: readonly Channel[]): Promise<ReadonlyMap<string, Observation>>;
}
