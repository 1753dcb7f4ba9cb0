import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/adapters/store/sqlite/sqlite-store.js';
import { configSchema } from '../../src/config/schema.js';
import { announce, seed } from '../contracts/store.contract.js';
import { removeDir } from '../e2e/harness.js';

const DAY = 86_400_000;
const T0 = Date.parse('2026-01-01T00:00:00Z');

/** Issue 22: events and deliveries were never pruned (`/events?limit=1000` became 80 MB). */
describe('history retention', () => {
  const dir = mkdtempSync(join(tmpdir(), 'onair-retention-'));
  afterAll(() => {
    removeDir(dir);
  });

  it('defaults to 90 days', () => {
    expect(configSchema.parse({}).history.retention).toBe(90 * DAY);
    expect(configSchema.parse({ history: { retention: '7d' } }).history.retention).toBe(7 * DAY);
  });

  it('prunes finished deliveries and their events older than the retention, keeps pending ones', async () => {
    const store = await openSqliteStore(join(dir, 'onair.db'));
    try {
      await seed(store, ['old', 'pending', 'recent']);
      await announce(store, 'old', 'e-old', T0);
      await announce(store, 'pending', 'e-pending', T0);
      await announce(store, 'recent', 'e-recent', T0 + 100 * DAY);
      for (const id of ['e-old', 'e-recent']) {
        const [delivery] = await store.listDeliveries({ eventId: id, limit: 1 });
        await store.updateDelivery(
          delivery!.seq,
          {
            status: 'sent',
            attempts: 1,
            nextAttemptAt: T0,
            lastError: null,
            providerMessageId: null,
          },
          id === 'e-old' ? T0 + DAY : T0 + 100 * DAY,
        );
      }
      const pruned = await store.pruneHistory(T0 + 100 * DAY - 90 * DAY);
      expect(pruned).toEqual({ events: 1, deliveries: 1 });
      const left = (await store.listEvents({ limit: 10 })).map((e) => e.id).sort();
      expect(left).toEqual(['e-pending', 'e-recent']);
      expect(await store.listDeliveries({ eventId: 'e-pending', limit: 1 })).toHaveLength(1);
      expect(await store.pruneHistory(T0 + 100 * DAY - 90 * DAY)).toEqual({
        events: 0,
        deliveries: 0,
      });
    } finally {
      await store.close();
    }
  });
});
