import { WebSocket, type RawData } from 'ws';
import type {
  EventSubConnector,
  EventSubHandlers,
  EventSubSession,
  SessionEnd,
  TwitchPushEvent,
} from '../../../app/push/ports.js';
import type { Cancel, Clock, Timers } from '../../../ports/clock.js';
import type { Logger } from '../../../ports/logger.js';
import { parseJson } from '../shared.js';
import { withCategory } from './twitch.platform.js';
import {
  channelUpdateWire,
  messageWire,
  streamOfflineWire,
  streamOnlineWire,
  type MessageWire,
} from './twitch.wire.js';

/** Close codes Twitch sends (PROTOCOLS.md §2.3). The client reconnects fresh after each of them. */
export const CLOSE_CODES: Readonly<Record<number, string>> = {
  4000: 'internal server error',
  4001: 'client sent inbound traffic',
  4002: 'client failed ping-pong',
  4003: 'connection unused (no subscription in time)',
  4004: 'reconnect grace time expired',
  4005: 'network timeout',
  4006: 'network error',
  4007: 'invalid reconnect URL',
};

/** Messages older than this are ignored, and message ids are remembered at least this long (§2.4). */
export const MAX_MESSAGE_AGE_MS = 10 * 60_000;
/** Keepalive the server uses until the welcome says otherwise (§2.1). */
const DEFAULT_KEEPALIVE_S = 10;

export interface EventSubDeps {
  readonly url: string;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly logger: Logger;
}

/** Seen message ids with when they arrived, in arrival order, so pruning walks from the front. */
class MessageLog {
  private readonly seen = new Map<string, number>();

  /** True the first time an id is offered within the window. */
  fresh(id: string, now: number): boolean {
    for (const [old, at] of this.seen) {
      if (now - at <= MAX_MESSAGE_AGE_MS) break;
      this.seen.delete(old);
    }
    if (this.seen.has(id)) return false;
    this.seen.set(id, now);
    return true;
  }
}

/** Opens sessions; the message log is shared so a duplicate is caught across sockets and sessions. */
export class EventSubWebSocketConnector implements EventSubConnector {
  private readonly deps: EventSubDeps;
  private readonly log = new MessageLog();

  constructor(deps: EventSubDeps) {
    this.deps = deps;
  }

  open(handlers: EventSubHandlers): EventSubSession {
    const session = new EventSubClient(this.deps, this.log, handlers);
    session.start();
    return session;
  }
}

/**
 * One EventSub WebSocket session (§2.1–2.4). A keepalive watchdog (timeout plus 20 %, at least 1 s)
 * ends a silent session. On `session_reconnect` it opens the given URL as is and keeps reading the
 * old socket until the new one is welcomed, then closes the old one, so nothing is lost; duplicates
 * across the two are dropped by message id. Every other end — a close code, a failed reconnect, a
 * silent socket — is reported once through `ended`; the caller starts a fresh session.
 */
class EventSubClient implements EventSubSession {
  private readonly deps: EventSubDeps;
  private readonly log: MessageLog;
  private readonly handlers: EventSubHandlers;
  private primary: WebSocket | null = null;
  /** The socket opened for `session_reconnect`, until its welcome. */
  private successor: WebSocket | null = null;
  private welcomed = false;
  /** The primary socket is a successor whose predecessor closed before the welcome. */
  private resuming = false;
  private keepaliveMs = DEFAULT_KEEPALIVE_S * 1000;
  private watchdog: Cancel | null = null;
  private done = false;

  constructor(deps: EventSubDeps, log: MessageLog, handlers: EventSubHandlers) {
    this.deps = deps;
    this.log = log;
    this.handlers = handlers;
  }

  start(): void {
    this.primary = this.connect(this.deps.url);
    this.arm();
  }

  close(): void {
    if (this.done) return;
    this.done = true;
    this.teardown();
  }

  private connect(url: string): WebSocket {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.on('message', (data: RawData) => {
      this.message(ws, data);
    });
    ws.on('close', (code: number, reason: Buffer) => {
      this.socketClosed(ws, code, reason.toString('utf8'));
    });
    // An 'error' is always followed by 'close', which does the work.
    ws.on('error', (err: Error) => {
      this.deps.logger.debug({ err: err.message }, 'EventSub socket error');
    });
    return ws;
  }

  private arm(): void {
    this.watchdog?.();
    const ms = this.keepaliveMs + Math.max(1000, this.keepaliveMs * 0.2);
    this.watchdog = this.deps.timers.after(ms, () => {
      this.watchdog = null;
      this.end({
        code: null,
        reason: `no message within ${ms} ms (keepalive timeout)`,
        unused: false,
      });
    });
  }

  private message(ws: WebSocket, data: RawData): void {
    if (this.done) return;
    const parsed = messageWire.safeParse(
      parseJson(Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer)),
    );
    if (ws === this.primary) this.arm();
    if (!parsed.success) {
      this.deps.logger.warn({}, 'EventSub sent a message onair cannot read');
      return;
    }
    const msg = parsed.data;
    switch (msg.metadata.message_type) {
      case 'session_welcome':
        this.welcome(ws, msg);
        return;
      case 'session_keepalive':
        return;
      case 'session_reconnect':
        this.reconnect(msg);
        return;
      case 'notification':
      case 'revocation':
        if (this.admit(msg)) this.deliver(msg);
        return;
      default:
        this.deps.logger.debug(
          { type: msg.metadata.message_type },
          'EventSub message type ignored',
        );
    }
  }

  private welcome(ws: WebSocket, msg: MessageWire): void {
    const session = msg.payload?.session;
    if (!session) return;
    const keepalive = session.keepalive_timeout_seconds ?? DEFAULT_KEEPALIVE_S;
    if (ws === this.successor) {
      // The new socket is ready: only now is the old one closed, so no message falls in between.
      const old = this.primary;
      this.primary = ws;
      this.successor = null;
      old?.removeAllListeners('close');
      old?.close(1000);
      this.keepaliveMs = keepalive * 1000;
      this.arm();
      this.handlers.welcome(session.id, true);
      return;
    }
    if (ws !== this.primary || this.welcomed) return;
    this.welcomed = true;
    this.keepaliveMs = keepalive * 1000;
    this.arm();
    this.handlers.welcome(session.id, this.resuming);
  }

  private reconnect(msg: MessageWire): void {
    const url = msg.payload?.session?.reconnect_url;
    if (!url) return;
    if (this.successor) {
      this.successor.removeAllListeners();
      this.successor.on('error', () => undefined);
      this.successor.terminate();
    }
    this.deps.logger.info({}, 'EventSub asked to reconnect; opening the new socket');
    // Used as given: Twitch forbids adding parameters (§2.2).
    this.successor = this.connect(url);
  }

  /** Drops duplicates (same message id) and messages older than 10 minutes. */
  private admit(msg: MessageWire): boolean {
    const now = this.deps.clock.now();
    const sent = parseInstant(msg.metadata.message_timestamp);
    if (sent === null || now - sent > MAX_MESSAGE_AGE_MS) {
      this.deps.logger.info(
        { id: msg.metadata.message_id },
        'EventSub message older than 10 minutes ignored',
      );
      return false;
    }
    if (!this.log.fresh(msg.metadata.message_id, now)) {
      this.deps.logger.debug({ id: msg.metadata.message_id }, 'EventSub duplicate ignored');
      return false;
    }
    return true;
  }

  private deliver(msg: MessageWire): void {
    const subscription = msg.payload?.subscription;
    if (msg.metadata.message_type === 'revocation') {
      if (subscription)
        this.handlers.revocation(
          subscription.type,
          subscription.condition.broadcaster_user_id ?? null,
          subscription.status,
        );
      return;
    }
    const event = mapEvent(
      msg.metadata.subscription_type ?? subscription?.type,
      msg.payload?.event,
    );
    if (event) this.handlers.notification(event);
    else
      this.deps.logger.warn(
        { type: msg.metadata.subscription_type },
        'EventSub notification onair cannot read',
      );
  }

  private socketClosed(ws: WebSocket, code: number, text: string): void {
    if (this.done) return;
    const meaning = CLOSE_CODES[code] ?? (text || 'connection closed');
    if (ws === this.successor) {
      // 4007 and any other failure of the new socket: start over at the base URL.
      this.end({ code, reason: `EventSub reconnect failed: ${code} ${meaning}`, unused: false });
      return;
    }
    if (ws !== this.primary) return;
    if (this.successor) {
      // The old socket went first; the successor's welcome still resumes the session.
      this.primary = this.successor;
      this.successor = null;
      this.welcomed = false;
      this.resuming = true;
      this.arm();
      return;
    }
    if (code === 4001)
      this.deps.logger.error(
        { code },
        'EventSub closed the socket: onair sent inbound traffic (a bug)',
      );
    this.end({
      code,
      reason: `EventSub closed the connection: ${code} ${meaning}`,
      unused: code === 4003,
    });
  }

  private end(end: SessionEnd): void {
    if (this.done) return;
    this.done = true;
    this.teardown();
    this.handlers.ended(end);
  }

  private teardown(): void {
    this.watchdog?.();
    this.watchdog = null;
    for (const ws of [this.primary, this.successor]) {
      if (!ws) continue;
      ws.removeAllListeners();
      ws.on('error', () => undefined);
      if (ws.readyState === WebSocket.OPEN) ws.close(1000);
      else ws.terminate();
    }
    this.primary = null;
    this.successor = null;
  }
}

function mapEvent(type: string | undefined, event: unknown): TwitchPushEvent | null {
  switch (type ?? '') {
    case 'stream.online': {
      const e = streamOnlineWire.safeParse(event);
      if (!e.success) return null;
      return {
        type: 'stream.online',
        broadcasterId: e.data.broadcaster_user_id,
        startedAt: parseInstant(e.data.started_at),
        name: e.data.broadcaster_user_name ?? null,
      };
    }
    case 'stream.offline': {
      const e = streamOfflineWire.safeParse(event);
      return e.success
        ? { type: 'stream.offline', broadcasterId: e.data.broadcaster_user_id }
        : null;
    }
    case 'channel.update': {
      const e = channelUpdateWire.safeParse(event);
      if (!e.success) return null;
      // channel.update carries no stream tags; the next Helix poll restores them (tags never trigger events).
      return {
        type: 'channel.update',
        broadcasterId: e.data.broadcaster_user_id,
        title: e.data.title,
        tags: withCategory(e.data.category_name || null, []),
      };
    }
    default:
      return null;
  }
}

/** RFC 3339 with up to nanosecond fractions (§2.1) to epoch ms. */
function parseInstant(text: string): number | null {
  const ms = Date.parse(text.replace(/(\.\d{3})\d+/, '$1'));
  return Number.isFinite(ms) ? ms : null;
}
