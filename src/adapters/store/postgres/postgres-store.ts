import { Kysely, Migrator, PostgresDialect } from 'kysely';
import pg from 'pg';
import { KyselyStore } from '../kysely-store.js';
import { migrations } from '../migrations.js';
import type { Database } from '../schema.js';

export interface PostgresStoreOptions {
  /** Connections this process may hold; every process of a cluster has its own pool. */
  readonly poolSize?: number;
}

/**
 * Instants, counts and serials are `bigint` (int8) columns; pg hands int8 over as a string
 * because it may exceed 2^53. Epoch milliseconds and row counts never do, so this pool (and only
 * this pool: no global `pg.types.setTypeParser`) reads them as numbers, as `schema.ts` declares.
 */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((
    oid: Parameters<typeof pg.types.getTypeParser>[0],
    format?: 'text' | 'binary',
  ): unknown => {
    if (format === 'binary') return pg.types.getTypeParser(oid, 'binary');
    return oid === pg.types.builtins.INT8 ? parseInt8 : pg.types.getTypeParser(oid, 'text');
  }) as pg.CustomTypesConfig['getTypeParser'],
};

function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value))
    throw new RangeError(`int8 value ${text} does not fit a JavaScript number`);
  return value;
}

/**
 * Opens the PostgreSQL store at `url` (`postgres://user:pass@host:port/db`) and brings its schema
 * up to date. Several processes may start at once: Kysely's migrator takes a lock row first.
 */
export async function openPostgresStore(
  url: string,
  options: PostgresStoreOptions = {},
): Promise<KyselyStore> {
  const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10, types });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const { error } = await new Migrator({ db, provider: migrations('postgres') }).migrateToLatest();
  if (error !== undefined) {
    await db.destroy();
    throw new Error(`PostgreSQL migration failed for ${redactUrl(url)}`, { cause: error });
  }
  return new KyselyStore(db, 'postgres');
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = 'REDACTED';
    return parsed.toString();
  } catch {
    return 'an unparseable URL';
  }
}
