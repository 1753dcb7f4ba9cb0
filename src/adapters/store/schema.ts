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
  seq: Generated<number>;
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

export interface UsersTable {
  name: string;
  /** JSON array of `{ action, channels? }`. */
  permissions: string;
  /** JSON array of IPs or CIDRs. */
  allowed_ips: string;
  created_at: number;
}

export interface TokensTable {
  id: string;
  user_name: string;
  name: string | null;
  hash: string;
  created_at: number;
  expires_at: number | null;
}

export interface SessionsTable {
  hash: string;
  user_name: string;
  token_id: string | null;
  created_at: number;
  expires_at: number;
}

export interface KeepalivesTable {
  id: string;
  channel_id: string;
  creator_user: string;
  creator_ip: string;
  record: number;
  /** `playlist` or `full`. */
  mode: string;
  created_at: number;
  expires_at: number;
}

export interface RecordingsTable {
  id: string;
  channel_id: string;
  session: string;
  part: number;
  path: string;
  container: string;
  started_at: number;
  ended_at: number | null;
  bytes: number;
  status: string;
  end_reason: string | null;
  /** JSON `{ lastMsn, lastDsn, targetDuration }` or null. */
  resume: string | null;
  /** Media duration in ms; null when unknown. */
  media_ms: number | null;
}

export interface ScheduleEntriesTable {
  id: string;
  title: string;
  start_at: number;
  end_at: number | null;
  channel_id: string | null;
  description: string | null;
  url: string | null;
  created_at: number;
  updated_at: number;
}

export interface CalendarKeysTable {
  user_name: string;
  hash: string;
  created_at: number;
}

export interface Database {
  channels: ChannelsTable;
  targets: TargetsTable;
  subscriptions: SubscriptionsTable;
  channel_state: ChannelStateTable;
  events: EventsTable;
  deliveries: DeliveriesTable;
  settings: SettingsTable;
  users: UsersTable;
  tokens: TokensTable;
  sessions: SessionsTable;
  keepalives: KeepalivesTable;
  recordings: RecordingsTable;
  schedule_entries: ScheduleEntriesTable;
  calendar_keys: CalendarKeysTable;
}
