import { randomBytes } from 'node:crypto';
import { createConnection } from 'node:net';
import pg from 'pg';
import { describe, it } from 'vitest';

/**
 * Real PostgreSQL and Redis for tests (TEST-PEERS.md): where they are, whether they answer, and
 * throwaway databases. A test that needs them skips only when they are absent AND
 * `ONAIR_REQUIRE_SERVICES` is unset; `.ci/run` sets it, so in CI an absent service fails.
 */
export const POSTGRES_URL =
  process.env['ONAIR_TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env['ONAIR_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
export const SERVICES_REQUIRED = !['', '0', 'false', undefined].includes(
  process.env['ONAIR_REQUIRE_SERVICES'],
);

export type Service = 'postgres' | 'redis';

/** Why each service is unusable, empty when all answer. */
export async function missingServices(services: readonly Service[]): Promise<string[]> {
  const problems = await Promise.all(
    services.map((s) => (s === 'postgres' ? postgresProblem() : redisProblem())),
  );
  return problems.filter((p): p is string => p !== null);
}

async function postgresProblem(): Promise<string | null> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    return `PostgreSQL unreachable at ${POSTGRES_URL}: ${(error as Error).message}`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function redisProblem(): Promise<string | null> {
  const { hostname, port } = new URL(REDIS_URL);
  return new Promise((resolve) => {
    const socket = createConnection({ host: hostname, port: Number(port || 6379) });
    const done = (problem: string | null) => {
      socket.destroy();
      resolve(problem);
    };
    socket.setTimeout(2_000, () => {
      done(`Redis at ${REDIS_URL} did not answer PING`);
    });
    socket.once('error', (error) => {
      done(`Redis unreachable at ${REDIS_URL}: ${error.message}`);
    });
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      done(
        data.toString().startsWith('+PONG')
          ? null
          : `Redis at ${REDIS_URL} answered ${data.toString().trim()}`,
      );
    });
  });
}

/**
 * `describe` when the services answer; otherwise a skipped suite that says why, or — when
 * `ONAIR_REQUIRE_SERVICES` is set — a failing test that says why.
 */
export function describeWithServices(
  name: string,
  missing: readonly string[],
  body: () => void,
): void {
  if (missing.length === 0) {
    describe(name, body);
  } else if (SERVICES_REQUIRED) {
    describe(name, () => {
      it('has the services it needs (ONAIR_REQUIRE_SERVICES is set)', () => {
        throw new Error(missing.join('; '));
      });
    });
  } else {
    console.warn(
      `SKIPPED "${name}": ${missing.join('; ')} (set ONAIR_REQUIRE_SERVICES=1 to fail instead)`,
    );
    describe.skip(`${name} [skipped: ${missing.join('; ')}]`, body);
  }
}

/** A unique name for this run's databases and Redis keys, so parallel runs never collide. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

export interface TempDatabase {
  readonly url: string;
  readonly name: string;
  /**
   * An empty schema of its own in this database, as a URL whose connections use it: much
   * cheaper than a database per test (CREATE DATABASE takes about a second here).
   */
  schema(): Promise<{ readonly url: string; drop(): Promise<void> }>;
  drop(): Promise<void>;
}

/** Creates an empty database with a random name; `drop` removes it (closing stray sessions). */
export async function createTempDatabase(prefix = 'onair_test'): Promise<TempDatabase> {
  const name = uniqueName(prefix);
  await admin(`CREATE DATABASE ${name}`);
  // Throwaway data: no need to wait for each commit to reach the disk.
  await admin(`ALTER DATABASE ${name} SET synchronous_commit TO off`);
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async schema() {
      const schema = uniqueName('s');
      await admin(`CREATE SCHEMA ${schema}`, url.toString());
      const scoped = new URL(url);
      scoped.searchParams.set('options', `-c search_path=${schema}`);
      return {
        url: scoped.toString(),
        drop: () => admin(`DROP SCHEMA ${schema} CASCADE`, url.toString()),
      };
    },
    drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

async function admin(statement: string, connectionString = POSTGRES_URL): Promise<void> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
