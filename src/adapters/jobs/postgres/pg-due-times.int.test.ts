import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import {
  createTempDatabase,
  describeWithServices,
  missingServices,
  type TempDatabase,
} from '../../../../test/contracts/store-services.js';
import { dueTimesContract } from '../../../../test/contracts/due-times.contract.js';
import { openPostgresStore } from '../../store/postgres/postgres-store.js';
import { PostgresDueTimes } from './pg-due-times.js';
import { coordinationPool, ensureCoordinationTables } from './pg-schema.js';

const missing = await missingServices(['postgres']);

describeWithServices('PostgresDueTimes', missing, () => {
  let database: TempDatabase;
  beforeAll(async () => {
    database = await createTempDatabase('onair_due');
  });
  afterAll(async () => {
    await database.drop();
  });

  dueTimesContract(async () => {
    const schema = await database.schema();
    // The store's migrations make `channels`, which due times refer to.
    await (await openPostgresStore(schema.url, { poolSize: 1 })).close();
    const pools = [coordinationPool(schema.url, 4), coordinationPool(schema.url, 4)] as const;
    await ensureCoordinationTables(pools[0]);
    return {
      due: new PostgresDueTimes(pools[0]),
      other: new PostgresDueTimes(pools[1]),
      async addChannels(ids) {
        await pools[0].query(
          `INSERT INTO channels (id, platform, url, options, source, created_at, updated_at)
           SELECT id, 'owncast', 'https://example.org/' || id, '{}', 'api', 0, 0
           FROM unnest($1::text[]) AS id`,
          [[...ids]],
        );
      },
      async until(check, what) {
        const deadline = Date.now() + 15_000;
        while (!(await check())) {
          if (Date.now() > deadline) throw new Error(`never: ${what}`);
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
      },
      async close() {
        await Promise.all(pools.map((p: pg.Pool) => p.end()));
        await schema.drop();
      },
    };
  });
});
