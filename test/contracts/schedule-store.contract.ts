import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ScheduleStore, Store, StoredScheduleEntry } from '../../src/ports/store.js';
import type { OpenedStore, StoreContract } from './store.contract.js';

const T0 = Date.parse('2026-03-01T00:00:00Z');
const H = 3_600_000;

const entry = (id: string, change: Partial<StoredScheduleEntry> = {}): StoredScheduleEntry => ({
  id,
  title: `title ${id}`,
  start: T0,
  end: T0 + H,
  channelId: null,
  description: null,
  url: null,
  createdAt: T0 - H,
  updatedAt: T0 - H,
  ...change,
});

/** What every store adapter promises for hand-added schedule entries and calendar keys. */
export function scheduleStoreContract(contract: StoreContract): void {
  describe(`schedule store contract: ${contract.name}`, () => {
    let opened: OpenedStore;
    let store: Store & ScheduleStore;

    beforeEach(async () => {
      opened = await contract.open();
      store = opened.store as Store & ScheduleStore;
    });
    afterEach(async () => {
      await store.close();
      await opened.dispose();
    });

    it('inserts once per id, reads back exactly, lists by start within a window', async () => {
      expect(
        await store.insertScheduleEntry(
          entry('a', {
            channelId: 'cam',
            description: 'd',
            url: 'https://x.example/',
            start: T0 + 5 * H,
            end: null,
          }),
        ),
      ).toBe(true);
      expect(await store.insertScheduleEntry(entry('a', { title: 'other' }))).toBe(false);
      await store.insertScheduleEntry(entry('b', { start: T0, end: T0 + 2 * H }));
      await store.insertScheduleEntry(entry('c', { start: T0 - 10 * H, end: T0 - 9 * H }));
      expect(await store.getScheduleEntry('a')).toStrictEqual(
        entry('a', {
          channelId: 'cam',
          description: 'd',
          url: 'https://x.example/',
          start: T0 + 5 * H,
          end: null,
        }),
      );
      expect(await store.getScheduleEntry('nope')).toBeUndefined();
      expect((await store.listScheduleEntries()).map((e) => e.id)).toStrictEqual(['c', 'b', 'a']);
      // Overlap: b ends after `from`; a (no end) is the instant it starts.
      expect(
        (await store.listScheduleEntries({ from: T0 + H, to: T0 + 6 * H })).map((e) => e.id),
      ).toStrictEqual(['b', 'a']);
      expect(
        (await store.listScheduleEntries({ from: T0 + 3 * H, to: T0 + 5 * H })).map((e) => e.id),
      ).toStrictEqual([]);
      expect(await store.countScheduleEntries()).toBe(3);
    });

    it('updates one entry, deletes it, and keeps entries across a restart', async () => {
      await store.insertScheduleEntry(entry('a'));
      await store.insertScheduleEntry(entry('b'));
      const change = {
        title: 'new',
        start: T0 + H,
        end: null,
        channelId: 'cam',
        description: 'why',
        url: null,
        updatedAt: T0,
      };
      expect(await store.updateScheduleEntry('a', change)).toBe(true);
      expect(await store.updateScheduleEntry('nope', change)).toBe(false);
      expect(await store.getScheduleEntry('a')).toStrictEqual({ ...entry('a'), ...change });
      expect(await store.getScheduleEntry('b')).toStrictEqual(entry('b'));
      expect(await store.deleteScheduleEntry('b')).toBe(true);
      expect(await store.deleteScheduleEntry('b')).toBe(false);
      await store.close();
      store = (await opened.reopen()) as Store & ScheduleStore;
      expect((await store.listScheduleEntries()).map((e) => e.id)).toStrictEqual(['a']);
    });

    it('keeps one calendar key per user, found by its hash, until deleted', async () => {
      await store.putCalendarKey({ userName: 'ann', hash: 'h1', createdAt: T0 });
      await store.putCalendarKey({ userName: 'bob', hash: 'h2', createdAt: T0 });
      expect(await store.findCalendarKey('h1')).toStrictEqual({
        userName: 'ann',
        hash: 'h1',
        createdAt: T0,
      });
      // A new key replaces the old one: the old secret stops working.
      await store.putCalendarKey({ userName: 'ann', hash: 'h3', createdAt: T0 + H });
      expect(await store.findCalendarKey('h1')).toBeUndefined();
      expect(await store.getCalendarKey('ann')).toStrictEqual({
        userName: 'ann',
        hash: 'h3',
        createdAt: T0 + H,
      });
      expect(await store.deleteCalendarKey('ann')).toBe(true);
      expect(await store.deleteCalendarKey('ann')).toBe(false);
      expect(await store.findCalendarKey('h3')).toBeUndefined();
      expect((await store.findCalendarKey('h2'))?.userName).toBe('bob');
    });
  });
}
