import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { migrations } from './migrations.js';
import { openSqliteStore } from './sqlite/sqlite-store.js';

/**
 * Hand-added schedule entries used to live in one settings document; the migration that gives
 * them a table moves them over, so an upgrade loses none.
 */
describe('schedule entries migration', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  async function databaseBefore(legacy: string | null): Promise<string> {
    const dir = mkdtempSync(join(tmpdir(), 'onair-schedule-migration-'));
    dirs.push(dir);
    const file = join(dir, 'onair.db');
    const db = new Kysely<unknown>({
      dialect: new SqliteDialect({ database: new BetterSqlite3(file) }),
    });
    const migrator = new Migrator({ db, provider: migrations('sqlite') });
    // The database as the version before the table existed left it.
    expect((await migrator.migrateTo('0004_keepalive_mode')).error).toBeUndefined();
    if (legacy !== null)
      await sql`insert into settings (key, value) values ('schedule.entries', ${legacy})`.execute(
        db,
      );
    await db.destroy();
    return file;
  }

  it('moves every entry of the old settings document into the table and drops the document', async () => {
    const file = await databaseBefore(
      JSON.stringify([
        {
          id: 'a1',
          title: 'Launch',
          start: 1_772_000_000_000,
          end: 1_772_003_600_000,
          channel: 'cam',
          description: 'first',
          url: 'https://x.example/',
        },
        {
          id: 'b2',
          title: 'Open end',
          start: 1_772_100_000_000,
          end: null,
          channel: null,
          description: null,
          url: null,
        },
      ]),
    );
    const store = await openSqliteStore(file);
    try {
      expect(await store.listScheduleEntries()).toStrictEqual([
        {
          id: 'a1',
          title: 'Launch',
          start: 1_772_000_000_000,
          end: 1_772_003_600_000,
          channelId: 'cam',
          description: 'first',
          url: 'https://x.example/',
          createdAt: 1_772_000_000_000,
          updatedAt: 1_772_000_000_000,
        },
        {
          id: 'b2',
          title: 'Open end',
          start: 1_772_100_000_000,
          end: null,
          channelId: null,
          description: null,
          url: null,
          createdAt: 1_772_100_000_000,
          updatedAt: 1_772_100_000_000,
        },
      ]);
      expect(await store.getSetting('schedule.entries')).toBeUndefined();
    } finally {
      await store.close();
    }
  });

  it('starts empty without the old document', async () => {
    const store = await openSqliteStore(await databaseBefore(null));
    try {
      expect(await store.listScheduleEntries()).toStrictEqual([]);
    } finally {
      await store.close();
    }
  });
});
