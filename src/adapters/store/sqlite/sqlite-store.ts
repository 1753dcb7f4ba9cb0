import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { KyselyStore } from '../kysely-store.js';
import { migrations } from '../migrations.js';
import type { Database } from '../schema.js';

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
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
  const { error } = await new Migrator({ db, provider: migrations('sqlite') }).migrateToLatest();
  if (error !== undefined) {
    await db.destroy();
    throw new Error(`SQLite migration failed for ${file}`, { cause: error });
  }
  return new KyselyStore(db, 'sqlite');
}
