import pg from 'pg';

/**
 * Now in epoch milliseconds by the database's clock, evaluated once per statement (a scalar
 * subquery, so indexes on due times still apply). Every process of a cluster measures due times
 * and lease expiries on this one clock, so clocks that differ or step between workers do not
 * matter; durations are added to it by SQL.
 */
export const NOW_MS = `(SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint)`;

/**
 * The cluster's coordination tables. They belong to the cluster adapters, not to the store's
 * schema (an embedded SQLite file never has them), so these adapters create them; an advisory lock
 * keeps processes that start together from racing on `CREATE TABLE IF NOT EXISTS`.
 */
const TABLES = [
  `CREATE TABLE IF NOT EXISTS due_times (
     channel_id text PRIMARY KEY REFERENCES channels (id) ON DELETE CASCADE,
     platform text NOT NULL,
     due_at bigint NOT NULL
   )`,
  `CREATE INDEX IF NOT EXISTS due_times_due ON due_times (due_at)`,
  `CREATE INDEX IF NOT EXISTS due_times_platform_due ON due_times (platform, due_at)`,
  `CREATE TABLE IF NOT EXISTS leases (
     name text PRIMARY KEY,
     holder text NOT NULL,
     expires_at bigint NOT NULL
   )`,
];

/** Any constant shared by the processes of a deployment: the lock guarding schema creation. */
const SCHEMA_LOCK = 0x6f6e6169;

/** A pool for the coordination adapters: bigint columns read as numbers (epoch ms fit). */
export function coordinationPool(url: string, max: number): pg.Pool {
  return new pg.Pool({
    connectionString: url,
    max,
    types: {
      getTypeParser: ((
        oid: Parameters<typeof pg.types.getTypeParser>[0],
        format?: 'text' | 'binary',
      ): unknown =>
        format !== 'binary' && oid === pg.types.builtins.INT8
          ? Number
          : pg.types.getTypeParser(oid, format ?? 'text')) as pg.CustomTypesConfig['getTypeParser'],
    },
  });
}

/** Creates the coordination tables if they are missing (after the store's migrations ran). */
export async function ensureCoordinationTables(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
    for (const statement of TABLES) await client.query(statement);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
