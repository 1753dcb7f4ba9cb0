import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';

export type Dialect = 'sqlite' | 'postgres';

/** Migrations for both dialects; the only differences are the integer and serial types. */
export function migrations(dialect: Dialect): MigrationProvider {
  const instant = dialect === 'postgres' ? 'bigint' : 'integer';
  const all: Record<string, Migration> = {
    '0001_initial': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('channels')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('platform', 'text', (c) => c.notNull())
          .addColumn('url', 'text', (c) => c.notNull())
          .addColumn('name', 'text')
          .addColumn('interval_ms', instant)
          .addColumn('options', 'text', (c) => c.notNull())
          .addColumn('source', 'text', (c) => c.notNull())
          .addColumn('created_at', instant, (c) => c.notNull())
          .addColumn('updated_at', instant, (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('targets')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('type', 'text', (c) => c.notNull())
          .addColumn('options', 'text', (c) => c.notNull())
          .addColumn('source', 'text', (c) => c.notNull())
          .addColumn('created_at', instant, (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('subscriptions')
          .addColumn('channel_id', 'text', (c) =>
            c.notNull().references('channels.id').onDelete('cascade'),
          )
          .addColumn('target_id', 'text', (c) => c.notNull().references('targets.id'))
          .addColumn('events', 'text', (c) => c.notNull())
          .addColumn('options', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('subscriptions_pk', ['channel_id', 'target_id'])
          .execute();
        await db.schema
          .createIndex('subscriptions_target')
          .on('subscriptions')
          .column('target_id')
          .execute();
        await db.schema
          .createTable('channel_state')
          .addColumn('channel_id', 'text', (c) =>
            c.primaryKey().references('channels.id').onDelete('cascade'),
          )
          .addColumn('liveness', 'text', (c) => c.notNull())
          .addColumn('title', 'text')
          .addColumn('tags', 'text', (c) => c.notNull())
          .addColumn('viewers', instant)
          .addColumn('thumbnail', 'text')
          .addColumn('platform_name', 'text')
          .addColumn('live_since', instant)
          .addColumn('offline_since', instant)
          .addColumn('last_notified_at', instant)
          .addColumn('live_announced', 'integer', (c) => c.notNull())
          .addColumn('offline_announced', 'integer', (c) => c.notNull())
          .addColumn('title_revision', 'integer', (c) => c.notNull())
          .addColumn('last_checked_at', instant)
          .addColumn('consecutive_failures', 'integer', (c) => c.notNull())
          .addColumn('last_error', 'text')
          .execute();
        await db.schema
          .createTable('events')
          // `seq` keeps the order of events detected in the same millisecond (offline, then live).
          .addColumn('seq', dialect === 'postgres' ? 'bigserial' : 'integer', (c) =>
            dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
          )
          .addColumn('id', 'text', (c) => c.notNull().unique())
          .addColumn('channel_id', 'text', (c) => c.notNull())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('title', 'text')
          .addColumn('tags', 'text', (c) => c.notNull())
          .addColumn('started_at', instant)
          .addColumn('at', instant, (c) => c.notNull())
          .addColumn('suppressed', 'text')
          .addColumn('channel', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('events_channel_at')
          .on('events')
          .columns(['channel_id', 'at'])
          .execute();
        await db.schema.createIndex('events_at').on('events').column('at').execute();
        await db.schema
          .createTable('deliveries')
          .addColumn('seq', dialect === 'postgres' ? 'bigserial' : 'integer', (c) =>
            dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
          )
          .addColumn('event_id', 'text', (c) => c.notNull())
          .addColumn('target_id', 'text', (c) => c.notNull())
          .addColumn('channel_id', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('attempts', 'integer', (c) => c.notNull())
          .addColumn('next_attempt_at', instant, (c) => c.notNull())
          .addColumn('last_error', 'text')
          .addColumn('provider_message_id', 'text')
          .addColumn('created_at', instant, (c) => c.notNull())
          .addColumn('updated_at', instant, (c) => c.notNull())
          .addUniqueConstraint('deliveries_event_target', ['event_id', 'target_id'])
          .execute();
        await db.schema
          .createIndex('deliveries_due')
          .on('deliveries')
          .columns(['status', 'next_attempt_at'])
          .execute();
        await db.schema
          .createIndex('deliveries_order')
          .on('deliveries')
          .columns(['target_id', 'channel_id', 'status', 'seq'])
          .execute();
        await db.schema
          .createTable('settings')
          .addColumn('key', 'text', (c) => c.primaryKey())
          .addColumn('value', 'text', (c) => c.notNull())
          .execute();
      },
    },
    '0002_users_tokens_sessions_keepalives': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('users')
          .addColumn('name', 'text', (c) => c.primaryKey())
          .addColumn('permissions', 'text', (c) => c.notNull())
          .addColumn('allowed_ips', 'text', (c) => c.notNull())
          .addColumn('created_at', instant, (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('tokens')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('user_name', 'text', (c) => c.notNull())
          .addColumn('name', 'text')
          .addColumn('hash', 'text', (c) => c.notNull())
          .addColumn('created_at', instant, (c) => c.notNull())
          .addColumn('expires_at', instant)
          .execute();
        await db.schema.createIndex('tokens_user').on('tokens').column('user_name').execute();
        await db.schema
          .createTable('sessions')
          .addColumn('hash', 'text', (c) => c.primaryKey())
          .addColumn('user_name', 'text', (c) => c.notNull())
          .addColumn('token_id', 'text')
          .addColumn('created_at', instant, (c) => c.notNull())
          .addColumn('expires_at', instant, (c) => c.notNull())
          .execute();
        await db.schema.createIndex('sessions_user').on('sessions').column('user_name').execute();
        await db.schema.createIndex('sessions_token').on('sessions').column('token_id').execute();
        await db.schema
          .createIndex('sessions_expires')
          .on('sessions')
          .column('expires_at')
          .execute();
        // No foreign key to channels: deleting a channel must release the keepalive's reader and
        // announce the removal, which the app does before deleting the rows itself.
        await db.schema
          .createTable('keepalives')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('channel_id', 'text', (c) => c.notNull())
          .addColumn('creator_user', 'text', (c) => c.notNull())
          .addColumn('creator_ip', 'text', (c) => c.notNull())
          .addColumn('record', 'integer', (c) => c.notNull())
          .addColumn('created_at', instant, (c) => c.notNull())
          .addColumn('expires_at', instant, (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('keepalives_channel')
          .on('keepalives')
          .column('channel_id')
          .execute();
        await db.schema
          .createIndex('keepalives_creator')
          .on('keepalives')
          .column('creator_user')
          .execute();
      },
    },
    '0003_recordings': {
      async up(db: Kysely<unknown>) {
        // No foreign key to channels: a recording outlives its channel until retention or a user removes it.
        await db.schema
          .createTable('recordings')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('channel_id', 'text', (c) => c.notNull())
          .addColumn('session', 'text', (c) => c.notNull())
          .addColumn('part', 'integer', (c) => c.notNull())
          .addColumn('path', 'text', (c) => c.notNull())
          .addColumn('container', 'text', (c) => c.notNull())
          .addColumn('started_at', instant, (c) => c.notNull())
          .addColumn('ended_at', instant)
          .addColumn('bytes', instant, (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('end_reason', 'text')
          .addColumn('resume', 'text')
          .execute();
        await db.schema
          .createIndex('recordings_channel')
          .on('recordings')
          .columns(['channel_id', 'started_at'])
          .execute();
        await db.schema
          .createIndex('recordings_session')
          .on('recordings')
          .column('session')
          .execute();
      },
    },
    '0004_keepalive_mode': {
      async up(db: Kysely<unknown>) {
        // Keepalives made before they read their channel read it like a player: the default.
        await db.schema
          .alterTable('keepalives')
          .addColumn('mode', 'text', (c) => c.notNull().defaultTo('playlist'))
          .execute();
      },
    },
    '0005_schedule_entries_calendar_keys': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('schedule_entries')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('title', 'text', (c) => c.notNull())
          .addColumn('start_at', instant, (c) => c.notNull())
          .addColumn('end_at', instant)
          .addColumn('channel_id', 'text')
          .addColumn('description', 'text')
          .addColumn('url', 'text')
          .addColumn('created_at', instant, (c) => c.notNull())
          .addColumn('updated_at', instant, (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('schedule_entries_start')
          .on('schedule_entries')
          .column('start_at')
          .execute();
        await db.schema
          .createTable('calendar_keys')
          .addColumn('user_name', 'text', (c) => c.primaryKey())
          .addColumn('hash', 'text', (c) => c.notNull().unique())
          .addColumn('created_at', instant, (c) => c.notNull())
          .execute();
        await moveScheduleEntries(db);
      },
    },
    '0006_recordings_media_ms': {
      async up(db: Kysely<unknown>) {
        // Media duration of a part (not wall-clock time); unknown for parts recorded before.
        await db.schema.alterTable('recordings').addColumn('media_ms', instant).execute();
      },
    },
  };
  return { getMigrations: () => Promise.resolve(all) };
}

/** The settings document that held hand-added schedule entries before they had a table. */
const LEGACY_SCHEDULE_KEY = 'schedule.entries';

/** Moves hand-added entries from their old settings document into `schedule_entries`. */
async function moveScheduleEntries(db: Kysely<unknown>): Promise<void> {
  const { rows } = await sql<{
    value: string;
  }>`select value from settings where key = ${LEGACY_SCHEDULE_KEY}`.execute(db);
  const value = rows[0]?.value;
  if (value === undefined) return;
  const parsed: unknown = JSON.parse(value);
  for (const e of Array.isArray(parsed) ? (parsed as Record<string, unknown>[]) : []) {
    const text = (v: unknown) => (typeof v === 'string' ? v : null);
    const num = (v: unknown) => (typeof v === 'number' ? v : null);
    const id = text(e['id']);
    const start = num(e['start']);
    if (id === null || start === null) continue;
    await sql`insert into schedule_entries
      (id, title, start_at, end_at, channel_id, description, url, created_at, updated_at)
      values (${id}, ${text(e['title']) ?? ''}, ${start}, ${num(e['end'])}, ${text(e['channel'])},
        ${text(e['description'])}, ${text(e['url'])}, ${start}, ${start})`.execute(db);
  }
  await sql`delete from settings where key = ${LEGACY_SCHEDULE_KEY}`.execute(db);
}
