import type { ColumnType, Generated } from 'kysely';

/** Row shapes shared by the SQLite and PostgreSQL adapters. Instants are epoch ms. */
export interface ChannelsTable {
  id: string;
  platform: string;
  url: string;
  name: string | null;
  interval_ms: number | null;
  options: string;
  source: string;
  created_at: number;
  updated_at: number;
}

export interface TargetsTable {
  id: string;
  type: string;
  options: string;
  source: string;
  created_at: number;
}

export interface SubscriptionsTable {
  channel_id: string;
  target_id: string;
  events: string;
  options: string;
}

export interface ChannelStateTable {
  channel_id: string;
  liveness: string;
  title: string | null;
  tags: string;
  viewers: number | null;
  thumbnail: string | null;
  platform_name: string | null;
  live_since: number | null;
  offline_since: number | null;
  last_notified_at: number | null;
  live_announced: number;
  offline_announced: number;
  title_revision: number;
  last_checked_at: number | null;
  consecutive_failures: number;
  last_error: string | null;
}

export interface EventsTable {
  id: string;
  channel_id: string;
  kind: string;
  title: string | null;
  tags: string;
  started_at: number | null;
  at: number;
  suppressed: string | null;
  channel: string;
}

export interface DeliveriesTable {
  seq: Generated<number>;
  event_id: string;
  target_id: string;
  channel_id: string;
  status: string;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  provider_message_id: string | null;
  created_at: number;
  updated_at: number;
}

export interface SettingsTable {
  key: string;
  value: ColumnType<string, string, string>;
}

export interface Database {
  channels: ChannelsTable;
  targets: TargetsTable;
  subscriptions: SubscriptionsTable;
  channel_state: ChannelStateTable;
  events: EventsTable;
  deliveries: DeliveriesTable;
  settings: SettingsTable;
}
