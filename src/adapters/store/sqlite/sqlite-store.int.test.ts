import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { scheduleStoreContract } from '../../../../test/contracts/schedule-store.contract.js';
import {
  brokenStore,
  checks,
  storeContract,
  type StoreContract,
} from '../../../../test/contracts/store.contract.js';
import { openSqliteStore } from './sqlite-store.js';

let dirs = 0;
const files = new Set<string>();

const sqliteContract: StoreContract = {
  name: 'SQLite (file in a temp dir)',
  async open() {
    const dir = mkdtempSync(join(tmpdir(), `onair-store-${process.pid}-${dirs++}-`));
    const file = join(dir, 'onair.db');
    files.add(file);
    return {
      store: await openSqliteStore(file),
      reopen: () => openSqliteStore(file),
      async dispose() {
        expect(integrity(file)).toBe('ok');
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};
storeContract(sqliteContract);
scheduleStoreContract(sqliteContract);

function integrity(file: string): string {
  const db = new BetterSqlite3(file, { readonly: true });
  try {
    return db.pragma('integrity_check', { simple: true }) as string;
  } catch (error) {
    return (error as Error).message;
  } finally {
    db.close();
  }
}

describe('store contract checks can fail (SQLite)', () => {
  const withStore = async (fn: (dir: string) => Promise<void>) => {
    const dir = mkdtempSync(join(tmpdir(), 'onair-store-neg-'));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it('catches a store that queues a second delivery on replay', () =>
    withStore(async (dir) => {
      const store = await openSqliteStore(join(dir, 'a.db'));
      let commits = 0;
      // Each replay gets a fresh event id: what a store without content-derived dedupe would do.
      const broken = brokenStore(store, {
        commit: (c) =>
          store.commit({
            ...c,
            events: c.events.map((e) => ({ ...e, id: `${e.id}-${commits}` })),
            deliveries: c.deliveries.map((d) => ({ ...d, eventId: `${d.eventId}-${commits++}` })),
          }),
      });
      await expect(checks.replayIsIdempotent(broken)).rejects.toThrow();
      await store.close();
    }));

  it('catches claims that do not lease (two claimers get the same deliveries)', () =>
    withStore(async (dir) => {
      const first = await openSqliteStore(join(dir, 'b.db'));
      const second = await openSqliteStore(join(dir, 'b.db'));
      const unleased = (store: typeof first) => {
        const claimed = new Set<number>();
        return brokenStore(store, {
          // Reads without leasing; remembers locally so each claimer alone still terminates.
          claimDueDeliveries: async (now, limit) =>
            (await store.dueDeliveries(now, 1_000))
              .filter((d) => !claimed.has(d.delivery.seq) && claimed.add(d.delivery.seq))
              .slice(0, limit),
        });
      };
      await expect(checks.claimsAreExclusive(unleased(first), unleased(second))).rejects.toThrow();
      await first.close();
      await second.close();
    }));

  it('the integrity check reports a damaged file', () =>
    withStore(async (dir) => {
      const file = join(dir, 'c.db');
      const store = await openSqliteStore(file);
      await store.close();
      // Scribble over every b-tree page header behind SQLite's back, as a torn write would.
      const fd = openSync(file, 'r+');
      for (let page = 1; page * 4_096 < statSync(file).size; page++)
        writeSync(fd, Buffer.alloc(16, 0xa5), 0, 16, page * 4_096);
      closeSync(fd);
      expect(integrity(file)).not.toBe('ok');
    }));
});
