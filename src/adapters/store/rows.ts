import type { Insertable, Selectable } from 'kysely';
import type {
  ChannelEvent,
  ChannelState,
  EventKind,
  Liveness,
  SuppressionReason,
} from '../../core/model.js';
import type { ChannelSnapshot } from '../../core/notification.js';
import type {
  Delivery,
  DeliveryStatus,
  StoredChannel,
  StoredEvent,
  StoredTarget,
  Subscription,
  ChannelSource,
} from '../../ports/store.js';
import type {
  ChannelStateTable,
  ChannelsTable,
  DeliveriesTable,
  EventsTable,
  SubscriptionsTable,
  TargetsTable,
} from './schema.js';

/** Mapping between rows and domain values; JSON columns are parsed here and nowhere else. */

/** JSON columns hold what this module wrote there. */
const object = (text: string) => JSON.parse(text) as Record<string, unknown>;
const strings = (text: string) => JSON.parse(text) as string[];

export function channelFromRow(row: ChannelsTable): StoredChannel {
  return {
    id: row.id,
    platform: row.platform,
    url: row.url,
    name: row.name,
    intervalMs: row.interval_ms,
    options: object(row.options),
    source: row.source as ChannelSource,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function targetFromRow(row: TargetsTable): StoredTarget {
  return {
    id: row.id,
    type: row.type,
    options: object(row.options),
    source: row.source as ChannelSource,
    createdAt: row.created_at,
  };
}

export function subscriptionFromRow(row: SubscriptionsTable): Subscription {
  return {
    channelId: row.channel_id,
    targetId: row.target_id,
    events: strings(row.events) as EventKind[],
    options: object(row.options),
  };
}

export function stateToRow(channelId: string, s: ChannelState): ChannelStateTable {
  return {
    channel_id: channelId,
    liveness: s.liveness,
    title: s.title,
    tags: JSON.stringify(s.tags),
    viewers: s.viewers,
    thumbnail: s.thumbnail,
    platform_name: s.platformName,
    live_since: s.liveSince,
    offline_since: s.offlineSince,
    last_notified_at: s.lastNotifiedAt,
    live_announced: s.liveAnnounced ? 1 : 0,
    offline_announced: s.offlineAnnounced ? 1 : 0,
    title_revision: s.titleRevision,
    last_checked_at: s.lastCheckedAt,
    consecutive_failures: s.consecutiveFailures,
    last_error: s.lastError,
  };
}

export function stateFromRow(row: ChannelStateTable): ChannelState {
  return {
    liveness: row.liveness as Liveness,
    title: row.title,
    tags: strings(row.tags),
    viewers: row.viewers,
    thumbnail: row.thumbnail,
    platformName: row.platform_name,
    liveSince: row.live_since,
    offlineSince: row.offline_since,
    lastNotifiedAt: row.last_notified_at,
    liveAnnounced: row.live_announced === 1,
    offlineAnnounced: row.offline_announced === 1,
    titleRevision: row.title_revision,
    lastCheckedAt: row.last_checked_at,
    consecutiveFailures: row.consecutive_failures,
    lastError: row.last_error,
  };
}

export function eventToRow(e: StoredEvent): Insertable<EventsTable> {
  return {
    id: e.id,
    channel_id: e.channelId,
    kind: e.kind,
    title: e.title,
    tags: JSON.stringify(e.tags),
    started_at: e.startedAt,
    at: e.at,
    suppressed: e.suppressed,
    channel: JSON.stringify(e.channel),
  };
}

export function eventFromRow(row: Omit<Selectable<EventsTable>, 'seq'>): StoredEvent {
  const event: ChannelEvent = {
    id: row.id,
    channelId: row.channel_id,
    kind: row.kind as EventKind,
    title: row.title,
    tags: strings(row.tags),
    startedAt: row.started_at,
    at: row.at,
    suppressed: row.suppressed as SuppressionReason | null,
  };
  return { ...event, channel: JSON.parse(row.channel) as ChannelSnapshot };
}

export function deliveryFromRow(row: Selectable<DeliveriesTable>): Delivery {
  return {
    seq: row.seq,
    eventId: row.event_id,
    targetId: row.target_id,
    channelId: row.channel_id,
    status: row.status as DeliveryStatus,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    lastError: row.last_error,
    providerMessageId: row.provider_message_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
