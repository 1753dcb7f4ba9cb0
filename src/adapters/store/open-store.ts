import { join } from 'node:path';
import { openPostgresStore } from './postgres/postgres-store.js';
import { openSqliteStore } from './sqlite/sqlite-store.js';
import type { KyselyStore } from './kysely-store.js';

/** The store a config names: PostgreSQL at `store.url`, else the embedded SQLite file under `dataDir`. */
export function openStore(config: {
  readonly dataDir: string;
  readonly store: { readonly url?: string | undefined; readonly poolSize: number };
}): Promise<KyselyStore> {
  return config.store.url === undefined
    ? openSqliteStore(join(config.dataDir, 'onair.db'))
    : openPostgresStore(config.store.url, { poolSize: config.store.poolSize });
}
