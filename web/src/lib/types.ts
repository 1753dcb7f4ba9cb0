/** Shapes of the onair API as the web app reads them (see /api/v1/openapi.json). */

export type ChannelStatus = 'unknown' | 'live' | 'offline' | 'unreachable';
export type EventKind = 'live' | 'title' | 'offline';

/** One target's subscription to a channel; the settings beyond `events` must survive every edit. */
export interface Subscription {
  target: string;
  events: EventKind[];
  onOffline?: 'none' | 'edit' | 'delete';
  template?: Partial<Record<EventKind, string>>;
}

export interface Channel {
  id: string;
  platform: string;
  url: string;
  name: string | null;
  interval: string | null;
  notify: Subscription[];
  source: 'config' | 'api';
  status: ChannelStatus;
  title: string | null;
  tags: string[];
  viewers: number | null;
  thumbnail: string | null;
  liveSince: string | null;
  offlineSince: string | null;
  /** During the reconnect grace after a drop: from when the `offline` is announced, unless it comes back. */
  offlineAnnounceAt?: string | null;
  lastCheckedAt: string | null;
  lastError: string | null;
}

export interface HistoryEvent {
  id: string;
  event: EventKind;
  channel: { id: string; name: string | null; platform: string; url: string };
  title: string | null;
  tags: string[];
  startedAt: string | null;
  at: string;
  suppressed?: string;
  /** With `?deliveries=true`: one per target the event was queued for (none: no target subscribed). */
  deliveries?: { target: string; status: 'pending' | 'sent' | 'failed' }[];
}

export interface Target {
  id: string;
  type: string;
  source: 'config' | 'api';
  [option: string]: unknown;
}

export type Observation =
  | {
      kind: 'live';
      title: string | null;
      startedAt: string | null;
      tags: string[];
      viewers: number | null;
      thumbnail: string | null;
      name: string | null;
    }
  | { kind: 'offline' }
  | { kind: 'failed'; error: string; retryable: boolean };

export interface CheckResult {
  platform: string;
  recognisedBy: string[];
  platforms: string[];
  suggestedId: string;
  observation: Observation;
}

export interface ScheduleEntry {
  id: string;
  source: 'feed' | 'platform' | 'manual' | 'history';
  channelId: string | null;
  title: string;
  description: string | null;
  url: string | null;
  start: string;
  end: string | null;
  /** Whole days: start and end are UTC midnights (end exclusive). */
  allDay?: boolean;
  status: 'upcoming' | 'live' | 'past';
}

export interface FeedStatus {
  url: string;
  channel: string | null;
  fetchedAt: string | null;
  events: number;
  error: string | null;
  problems: string[];
}

/** `GET /api/v1/channels/:id/playback`: HLS proxy URLs, or one proxied HTTP-FLV stream. */
export type Playback = HlsPlayback | FlvPlayback;

export interface FlvPlayback {
  flv: string;
}

export interface HlsPlayback {
  master: string;
  variants: {
    url: string;
    quality: string | null;
    width: number | null;
    height: number | null;
    bandwidth: number | null;
  }[];
}

/** A live-feed message from /api/v1/events/stream. */
export type FeedMessage =
  | { type: 'event'; data: HistoryEvent }
  | { type: 'state'; data: { channelId: string; status: ChannelStatus; title: string | null } }
  | {
      type: 'delivery';
      data: {
        eventId: string;
        targetId: string;
        status: string;
        attempts: number;
        error: string | null;
      };
    };

/** A permission grant, as in the config file: `channels` absent means every channel. */
export interface Permission {
  action: 'read' | 'manage' | 'keepalive' | 'record' | 'admin';
  channels?: string[];
}

/** `GET /api/v1/users`: config users are read-only here. */
export interface User {
  name: string;
  permissions: Permission[];
  allowedIps: string[];
  source: 'config' | 'api';
  createdAt: string | null;
}

/** `GET /api/v1/tokens`: never with its secret (only the create response has `token`). */
export interface ApiToken {
  id: string;
  user: string;
  name: string | null;
  createdAt: string | null;
  expiresAt: string | null;
}

/** `GET /api/v1/keepalives`: `read` is null unless this process holds it. */
export interface Keepalive {
  id: string;
  channel: string;
  createdAt: string;
  expiresAt: string;
  creatorUser: string;
  creatorIp: string;
  record: boolean;
  mode: 'playlist' | 'full';
  read: {
    lastReadAt: string | null;
    bytes: number;
    reads: number;
    lastError: string | null;
    lastErrorAt: string | null;
  } | null;
}
