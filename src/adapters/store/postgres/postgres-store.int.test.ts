import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { scheduleStoreContract } from '../../../../test/contracts/schedule-store.contract.js';
import {
  brokenStore,
  checks,
  storeContract,
  type StoreContract,
} from '../../../../test/contracts/store.contract.js';
import {
  createTempDatabase,
  describeWithServices,
  missingServices,
  type TempDatabase,
} from '../../../../test/contracts/store-services.js';
import { KyselyStore } from '../kysely-store.js';
import type { Database } from '../schema.js';
import { openPostgresStore, redactUrl } from './postgres-store.js';

const missing = await missingServices(['postgres']);

describeWithServices('PostgreSQL store', missing, () => {
  let database: TempDatabase;
  beforeAll(async () => {
    database = await createTempDatabase();
  });
  afterAll(async () => {
    await database.drop();
  });

  const postgresContract: StoreContract = {
    name: 'PostgreSQL (a schema of its own per test)',
    async open() {
      const schema = await database.schema();
      return {
        store: await openPostgresStore(schema.url, { poolSize: 4 }),
        reopen: () => openPostgresStore(schema.url, { poolSize: 4 }),
        dispose: () => schema.drop(),
      };
    },
  };
  storeContract(postgresContract);
  scheduleStoreContract(postgresContract);

  it('migrates once when several processes start at the same time', async () => {
    const schema = await database.schema();
    const stores = await Promise.all(
      [1, 2, 3].map(() => openPostgresStore(schema.url, { poolSize: 2 })),
    );
    await stores[0]!.setSetting('k', 'v');
    expect(await stores[2]!.getSetting('k')).toBe('v');
    await Promise.all(stores.map((s) => s.close()));
    await schema.drop();
  });

  // Negative twins: the same checks against deliberately broken PostgreSQL stores.
  it('catches int8 columns read as strings (a pool without the int8 parser)', async () => {
    const schema = await database.schema();
    await (await openPostgresStore(schema.url)).close();
    const pool = new pg.Pool({ connectionString: schema.url, max: 2 });
    const store = new KyselyStore(
      new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }),
      'postgres',
    );
    await expect(checks.instantsAreNumbers(store)).rejects.toThrow();
    await store.close();
    await schema.drop();
  });

  it('catches claims that do not lock (two claimers get the same deliveries)', async () => {
    const fresh = await database.schema();
    const first = await openPostgresStore(fresh.url);
    const second = await openPostgresStore(fresh.url);
    const unleased = (store: KyselyStore) => {
      const claimed = new Set<number>();
      return brokenStore(store, {
        claimDueDeliveries: async (now, limit) =>
          (await store.dueDeliveries(now, 1_000))
            .filter((d) => !claimed.has(d.delivery.seq) && claimed.add(d.delivery.seq))
            .slice(0, limit),
      });
    };
    await expect(checks.claimsAreExclusive(unleased(first), unleased(second))).rejects.toThrow();
    await first.close();
    await second.close();
    await fresh.drop();
  });

  it('keeps the password out of its messages', () => {
    expect(redactUrl('postgres://u:hunter2@db:5432/onair')).toBe(
      'postgres://u:REDACTED@db:5432/onair',
    );
    expect(redactUrl('not a url')).toBe('an unparseable URL');
  });
});
