import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { KyselyStore } from '../kysely-store.js';
import { migrations } from '../migrations.js';
import type { ChannelStateTable, Database } from '../schema.js';

/**
 * Opens (creating if needed) the embedded SQLite store and brings its schema up to date.
 * WAL with synchronous=NORMAL survives a killed process without losing a committed transaction.
 */
export async function openSqliteStore(file: string): Promise<KyselyStore> {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const database = new BetterSqlite3(file);
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  // A partly damaged file opens and serves reads while every commit fails: refuse it at start, in
  // words, instead of running unhealthy (quick_check reads every page, without index cross-checks).
  const check: unknown = database.pragma('quick_check', { simple: true });
  if (check !== 'ok') {
    database.close();
    throw Object.assign(
      new Error(`SQLite quick_check of ${file} found damage: ${String(check).slice(0, 200)}`),
      { code: 'SQLITE_CORRUPT' },
    );
  }
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
  const { error } = await new Migrator({ db, provider: migrations('sqlite') }).migrateToLatest();
  if (error !== undefined) {
    await db.destroy();
    throw new Error(`SQLite migration failed for ${file}`, { cause: error });
  }
  return new KyselyStore(db, 'sqlite', () => db.destroy(), stateWriter(database));
}

const STATE_COLUMNS = [
  'liveness',
  'title',
  'tags',
  'viewers',
  'thumbnail',
  'platform_name',
  'live_since',
  'offline_since',
  'last_notified_at',
  'live_announced',
  'offline_announced',
  'title_revision',
  'last_checked_at',
  'consecutive_failures',
  'last_error',
] as const satisfies readonly Exclude<keyof ChannelStateTable, 'channel_id'>[];

/**
 * Upserts many state rows with one prepared statement in one transaction (a few µs a row; the
 * query builder would compile a statement per row or allocate per value). A row whose channel was
 * deleted meanwhile is skipped, and one never overwrites a state checked later than itself.
 */
function stateWriter(
  database: BetterSqlite3.Database,
): (rows: readonly ChannelStateTable[]) => void {
  const upsert = database.prepare(
    `INSERT INTO channel_state (channel_id, ${STATE_COLUMNS.join(', ')})
     SELECT @channel_id, ${STATE_COLUMNS.map((c) => `@${c}`).join(', ')}
     WHERE EXISTS (SELECT 1 FROM channels WHERE id = @channel_id)
     ON CONFLICT (channel_id) DO UPDATE SET ${STATE_COLUMNS.map((c) => `${c} = excluded.${c}`).join(', ')}
     WHERE coalesce(channel_state.last_checked_at, 0) <= coalesce(excluded.last_checked_at, 0)`,
  );
  return database.transaction((rows: readonly ChannelStateTable[]) => {
    for (const row of rows) upsert.run(row);
  });
}
