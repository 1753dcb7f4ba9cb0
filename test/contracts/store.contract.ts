import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  INITIAL_STATE,
  type Channel,
  type ChannelState,
  type EventKind,
} from '../../src/core/model.js';
import type { Target } from '../../src/ports/notifier.js';
import type {
  RecordingStore,
  Store,
  StoredEvent,
  StoredRecording,
  Subscription,
} from '../../src/ports/store.js';

/** A store adapter under test: a fresh, empty store per test, reopenable (a restart). */
export interface StoreContract {
  readonly name: string;
  /** A new empty store. `reopen` closes nothing: the suite closes what it opened. */
  readonly open: () => Promise<OpenedStore>;
}

export interface OpenedStore {
  readonly store: Store;
  /** Another handle on the same data (a second process, or the same one after a restart). */
  reopen(): Promise<Store>;
  /** Removes the data once every handle is closed. */
  dispose(): Promise<void>;
}

const T0 = Date.parse('2026-01-01T00:00:00Z');

export const channel = (id: string, extra: Partial<Channel> = {}): Channel => ({
  id,
  platform: 'owncast',
  url: `https://${id}.example/`,
  name: null,
  intervalMs: null,
  options: {},
  ...extra,
});

export const target = (id: string): Target => ({
  id,
  type: 'webhook',
  options: { url: `https://hooks.example/${id}` },
});

export const subscription = (
  channelId: string,
  targetId: string,
  events: EventKind[] = ['live', 'title', 'offline'],
): Subscription => ({
  channelId,
  targetId,
  events,
  options: {},
});

export const liveState = (at: number, title = 'hello'): ChannelState => ({
  ...INITIAL_STATE,
  liveness: 'live',
  title,
  tags: ['music', 'ünïcode'],
  viewers: 12,
  platformName: 'Fake',
  liveSince: at,
  lastNotifiedAt: at,
  liveAnnounced: true,
  lastCheckedAt: at,
});

export const event = (
  id: string,
  channelId: string,
  at: number,
  kind: EventKind = 'live',
): StoredEvent => ({
  id,
  channelId,
  kind,
  title: 'hello',
  tags: ['music'],
  startedAt: at - 1_000,
  at,
  suppressed: null,
  channel: {
    id: channelId,
    platform: 'owncast',
    url: `https://${channelId}.example/`,
    name: 'Fake',
  },
});

/** Puts a target and channels subscribed to it. */
export async function seed(
  store: Store,
  channelIds: readonly string[],
  targetIds: readonly string[] = ['t1'],
): Promise<void> {
  for (const t of targetIds) await store.putTarget(target(t), 'config', T0);
  for (const id of channelIds)
    await store.putChannel(
      channel(id),
      targetIds.map((t) => subscription(id, t)),
      'config',
      T0,
    );
}

/** Commits one announced event for a channel, delivered to the given targets. */
export async function announce(
  store: Store,
  channelId: string,
  eventId: string,
  at: number,
  targetIds: readonly string[] = ['t1'],
): Promise<void> {
  await store.commit({
    channelId,
    state: liveState(at),
    events: [event(eventId, channelId, at)],
    deliveries: targetIds.map((targetId) => ({ eventId, targetId })),
  });
}

/**
 * The checks a negative twin runs against a deliberately broken store, to show they can fail.
 * Each throws (an assertion error) when the store breaks the promise named.
 */
export const checks = {
  /** Replaying a commit (a retry, a second worker) adds no second event or delivery. */
  async replayIsIdempotent(store: Store): Promise<void> {
    await seed(store, ['c1']);
    await announce(store, 'c1', 'e1', T0 + 1_000);
    await announce(store, 'c1', 'e1', T0 + 1_000);
    expect(await store.listEvents({ channelId: 'c1', limit: 10 })).toHaveLength(1);
    expect(await store.listDeliveries({ eventId: 'e1', limit: 10 })).toHaveLength(1);
    expect(await store.dueDeliveries(T0 + 1_000, 10)).toHaveLength(1);
  },

  /** Two processes claiming at once never get the same delivery. */
  async claimsAreExclusive(first: Store, second: Store): Promise<void> {
    await seed(
      first,
      Array.from({ length: 30 }, (_, i) => `c${i}`),
    );
    for (let i = 0; i < 30; i++) await announce(first, `c${i}`, `e${i}`, T0 + i);
    const seen: number[] = [];
    const drain = async (store: Store) => {
      for (;;) {
        const claimed = await store.claimDueDeliveries(T0 + 1_000, 4, 60_000);
        if (claimed.length === 0) return;
        seen.push(...claimed.map((d) => d.delivery.seq));
      }
    };
    await Promise.all([drain(first), drain(second), drain(first), drain(second)]);
    expect(seen).toHaveLength(30);
    expect(new Set(seen).size).toBe(30);
  },

  /** Instants come back as JavaScript numbers (int8 columns must not arrive as strings). */
  async instantsAreNumbers(store: Store): Promise<void> {
    await seed(store, ['c1']);
    await announce(store, 'c1', 'e1', T0 + 5);
    const [due] = await store.dueDeliveries(T0 + 5, 1);
    expect(due?.delivery.nextAttemptAt).toBe(T0 + 5);
    expect(typeof due?.delivery.seq).toBe('number');
    expect(due?.event.at).toBe(T0 + 5);
    expect((await store.getState('c1'))?.liveSince).toBe(T0 + 5);
    expect(await store.countDeliveries()).toEqual({ pending: 1, sent: 0, failed: 0 });
  },
};

/** What every store adapter promises (the `Store` port), run by each adapter in two lines. */
export function storeContract(contract: StoreContract): void {
  describe(`store contract: ${contract.name}`, () => {
    let opened: OpenedStore;
    let store: Store;
    const others: Store[] = [];
    const reopen = async () => {
      const s = await opened.reopen();
      others.push(s);
      return s;
    };

    beforeEach(async () => {
      opened = await contract.open();
      store = opened.store;
    });
    afterEach(async () => {
      for (const s of others.splice(0)) await s.close();
      await store.close();
      await opened.dispose();
    });

    describe('channels and subscriptions', () => {
      it('creates, lists (by id), reads and replaces a channel with its subscriptions', async () => {
        await seed(store, [], ['t1', 't2']);
        await store.putChannel(
          channel('b', { name: 'Bee', intervalMs: 30_000, options: { webhookSecret: 's' } }),
          [subscription('b', 't1', ['live'])],
          'api',
          T0,
        );
        await store.putChannel(channel('a'), [], 'config', T0);
        expect((await store.listChannels()).map((c) => c.id)).toEqual(['a', 'b']);
        expect(await store.getChannel('b')).toEqual({
          ...channel('b', { name: 'Bee', intervalMs: 30_000, options: { webhookSecret: 's' } }),
          source: 'api',
          createdAt: T0,
          updatedAt: T0,
        });
        await store.putChannel(
          channel('b', { url: 'https://other.example/' }),
          [subscription('b', 't2', ['offline'])],
          'api',
          T0 + 5,
        );
        const updated = await store.getChannel('b');
        expect(updated).toMatchObject({
          url: 'https://other.example/',
          name: null,
          intervalMs: null,
          createdAt: T0,
          updatedAt: T0 + 5,
        });
        expect(await store.listSubscriptions('b')).toEqual([subscription('b', 't2', ['offline'])]);
        expect(await store.getChannel('nope')).toBeUndefined();
      });

      it('lists subscriptions of all channels or of one, with their events and options', async () => {
        await seed(store, [], ['t1', 't2']);
        const subs = [
          { ...subscription('a', 't2', ['live']), options: { onOffline: 'edit' } },
          subscription('a', 't1'),
        ];
        await store.putChannel(channel('a'), subs, 'config', T0);
        await store.putChannel(channel('b'), [subscription('b', 't1', ['title'])], 'config', T0);
        expect(await store.listSubscriptions()).toEqual([
          subscription('a', 't1'),
          subs[0],
          subscription('b', 't1', ['title']),
        ]);
        expect(await store.listSubscriptions('b')).toEqual([subscription('b', 't1', ['title'])]);
        expect(await store.listSubscriptions('none')).toEqual([]);
      });

      it('writes many channels at once (more than one statement chunk), replacing their subscriptions', async () => {
        await seed(store, [], ['t1', 't2']);
        await store.putChannel(channel('c0007'), [subscription('c0007', 't1')], 'api', T0);
        const many = Array.from({ length: 1_234 }, (_, i) => {
          const id = `c${String(i).padStart(4, '0')}`;
          return {
            channel: channel(id, { intervalMs: i + 1_000 }),
            subscriptions: [subscription(id, 't2', ['live'])],
          };
        });
        await store.putChannels(many, 'config', T0 + 1);
        const listed = await store.listChannels();
        expect(listed).toHaveLength(1_234);
        expect(listed[1_233]).toMatchObject({
          id: 'c1233',
          intervalMs: 2_233,
          source: 'config',
          updatedAt: T0 + 1,
        });
        expect(await store.getChannel('c0007')).toMatchObject({
          createdAt: T0,
          updatedAt: T0 + 1,
          source: 'config',
        });
        expect(await store.listSubscriptions('c0007')).toEqual([
          subscription('c0007', 't2', ['live']),
        ]);
        expect(await store.listSubscriptions()).toHaveLength(1_234);
        await store.putChannels([], 'config', T0 + 2);
        expect(await store.listChannels()).toHaveLength(1_234);
      });

      it('deletes a channel with its subscriptions and state, and says whether it existed', async () => {
        await seed(store, ['a']);
        await announce(store, 'a', 'e1', T0 + 1);
        expect(await store.deleteChannel('a')).toBe(true);
        expect(await store.getChannel('a')).toBeUndefined();
        expect(await store.listSubscriptions('a')).toEqual([]);
        expect(await store.getState('a')).toBeUndefined();
        expect(await store.deleteChannel('a')).toBe(false);
        // The history stays: it is what was announced.
        expect(await store.getEvent('e1')).toBeDefined();
      });
    });

    describe('targets', () => {
      it('creates, lists, reads and replaces a target', async () => {
        await store.putTarget(target('z'), 'config', T0);
        await store.putTarget(target('a'), 'api', T0 + 1);
        expect((await store.listTargets()).map((t) => t.id)).toEqual(['a', 'z']);
        expect(await store.getTarget('a')).toEqual({
          ...target('a'),
          source: 'api',
          createdAt: T0 + 1,
        });
        await store.putTarget({ id: 'a', type: 'ntfy', options: { topic: 'x' } }, 'api', T0 + 9);
        expect(await store.getTarget('a')).toEqual({
          id: 'a',
          type: 'ntfy',
          options: { topic: 'x' },
          source: 'api',
          createdAt: T0 + 1,
        });
        expect(await store.getTarget('nope')).toBeUndefined();
      });

      it('refuses to delete a target while a subscription uses it', async () => {
        await seed(store, ['c1'], ['t1']);
        expect(await store.deleteTarget('t1')).toBe('inUse');
        expect(await store.getTarget('t1')).toBeDefined();
        await store.putChannel(channel('c1'), [], 'config', T0);
        expect(await store.deleteTarget('t1')).toBe('deleted');
        expect(await store.deleteTarget('t1')).toBe('notFound');
      });
    });

    describe('state and commit', () => {
      it('has no state for an unseen channel, then returns exactly what was committed', async () => {
        await seed(store, ['c1', 'c2']);
        expect(await store.getState('c1')).toBeUndefined();
        expect((await store.loadStates()).size).toBe(0);
        const state: ChannelState = {
          ...liveState(T0),
          consecutiveFailures: 2,
          lastError: 'timeout',
          offlineAnnounced: true,
          titleRevision: 3,
          thumbnail: 'https://t/x.jpg',
        };
        await store.commit({ channelId: 'c1', state, events: [], deliveries: [] });
        await store.commit({ channelId: 'c2', state: INITIAL_STATE, events: [], deliveries: [] });
        expect(await store.getState('c1')).toEqual(state);
        expect(await store.loadStates()).toEqual(
          new Map([
            ['c1', state],
            ['c2', INITIAL_STATE],
          ]),
        );
        expect(await store.getStates(['c2', 'none', 'c1'])).toEqual(
          new Map([
            ['c1', state],
            ['c2', INITIAL_STATE],
          ]),
        );
        expect(await store.getStates([])).toEqual(new Map());
      });

      it('writes state, events and deliveries together', async () => {
        await seed(store, ['c1'], ['t1', 't2']);
        await announce(store, 'c1', 'e1', T0 + 1_000, ['t1', 't2']);
        expect(await store.getState('c1')).toEqual(liveState(T0 + 1_000));
        expect(await store.getEvent('e1')).toEqual(event('e1', 'c1', T0 + 1_000));
        const deliveries = await store.listDeliveries({ eventId: 'e1', limit: 10 });
        expect(
          deliveries.map((d) => [d.targetId, d.status, d.attempts, d.nextAttemptAt, d.channelId]),
        ).toEqual([
          ['t2', 'pending', 0, T0 + 1_000, 'c1'],
          ['t1', 'pending', 0, T0 + 1_000, 'c1'],
        ]);
      });

      it('writes nothing of a commit that fails part-way', async () => {
        await seed(store, ['c1']);
        await announce(store, 'c1', 'e1', T0);
        const broken = { ...event('e2', 'c1', T0 + 1), at: null as unknown as number };
        await expect(
          store.commit({
            channelId: 'c1',
            state: liveState(T0 + 1, 'changed'),
            events: [broken],
            deliveries: [{ eventId: 'e2', targetId: 't1' }],
          }),
        ).rejects.toThrow();
        expect((await store.getState('c1'))?.title).toBe('hello');
        expect(await store.getEvent('e2')).toBeUndefined();
        expect(await store.listDeliveries({ limit: 10 })).toHaveLength(1);
      });

      it('is idempotent on replay: the same event id adds no second event or delivery', () =>
        checks.replayIsIdempotent(store));

      it('adds only the missing (event, target) pairs when a replay names more targets', async () => {
        await seed(store, ['c1'], ['t1', 't2']);
        await announce(store, 'c1', 'e1', T0, ['t1']);
        await announce(store, 'c1', 'e1', T0, ['t1', 't2']);
        expect(
          (await store.listDeliveries({ eventId: 'e1', limit: 10 })).map((d) => d.targetId).sort(),
        ).toEqual(['t1', 't2']);
      });

      it('ignores a commit for a channel deleted while its probe was in flight', async () => {
        await seed(store, ['c1']);
        await store.deleteChannel('c1');
        await announce(store, 'c1', 'e1', T0);
        expect(await store.getState('c1')).toBeUndefined();
        expect(await store.getEvent('e1')).toBeUndefined();
        expect(await store.listDeliveries({ limit: 10 })).toEqual([]);
      });

      it('returns instants, counts and sequence numbers as numbers', () =>
        checks.instantsAreNumbers(store));
    });

    describe('touch', () => {
      it('writes the states of channels that exist, and skips deleted ones', async () => {
        await seed(store, ['c1', 'c2']);
        await announce(store, 'c1', 'e1', T0);
        const touched: ChannelState = {
          ...liveState(T0),
          lastCheckedAt: T0 + 60_000,
          consecutiveFailures: 4,
          lastError: 'HTTP 500',
          viewers: 99,
        };
        await store.touch([
          { channelId: 'c1', state: touched },
          { channelId: 'c2', state: { ...INITIAL_STATE, liveness: 'offline', lastCheckedAt: T0 } },
          { channelId: 'ghost', state: touched },
        ]);
        expect(await store.getState('c1')).toEqual(touched);
        expect((await store.getState('c2'))?.liveness).toBe('offline');
        expect(await store.getState('ghost')).toBeUndefined();
        expect(await store.getChannel('ghost')).toBeUndefined();
      });

      it('never lets a late batch undo a state checked after it', async () => {
        await seed(store, ['c1']);
        await announce(store, 'c1', 'e1', T0 + 5_000);
        await store.touch([
          {
            channelId: 'c1',
            state: { ...INITIAL_STATE, liveness: 'offline', lastCheckedAt: T0 + 1_000 },
          },
        ]);
        expect(await store.getState('c1')).toEqual(liveState(T0 + 5_000));
      });

      it('writes a batch larger than one statement chunk (2,500 channels)', async () => {
        const ids = Array.from({ length: 2_500 }, (_, i) => `c${String(i).padStart(4, '0')}`);
        await store.putTarget(target('t1'), 'config', T0);
        for (let i = 0; i < ids.length; i += 50) {
          await Promise.all(
            ids.slice(i, i + 50).map(async (id) => {
              await store.putChannel(channel(id), [], 'config', T0);
              await store.commit({
                channelId: id,
                state: INITIAL_STATE,
                events: [],
                deliveries: [],
              });
            }),
          );
        }
        await store.touch(
          ids.map((id, i) => ({
            channelId: id,
            state: {
              ...INITIAL_STATE,
              lastCheckedAt: T0 + i,
              viewers: null,
              lastError: null,
              consecutiveFailures: i % 3,
            },
          })),
        );
        const states = await store.getStates(ids);
        expect(states.size).toBe(2_500);
        ids.forEach((id, i) => {
          expect(states.get(id)?.lastCheckedAt).toBe(T0 + i);
          expect(states.get(id)?.consecutiveFailures).toBe(i % 3);
        });
        await store.touch([]);
      });
    });

    describe('events', () => {
      it('lists newest first, by channel, up to a limit, and before an instant', async () => {
        await seed(store, ['a', 'b']);
        await announce(store, 'a', 'a1', T0 + 1);
        await announce(store, 'b', 'b1', T0 + 2);
        await announce(store, 'a', 'a2', T0 + 3);
        await announce(store, 'a', 'a3', T0 + 4);
        expect((await store.listEvents({ limit: 10 })).map((e) => e.id)).toEqual([
          'a3',
          'a2',
          'b1',
          'a1',
        ]);
        expect((await store.listEvents({ channelId: 'a', limit: 2 })).map((e) => e.id)).toEqual([
          'a3',
          'a2',
        ]);
        expect(
          (await store.listEvents({ channelId: 'a', limit: 10, before: T0 + 4 })).map((e) => e.id),
        ).toEqual(['a2', 'a1']);
        expect(await store.listEvents({ channelId: 'none', limit: 10 })).toEqual([]);
      });

      it('keeps a suppressed event with its reason and the channel as it was', async () => {
        await seed(store, ['a']);
        const suppressed: StoredEvent = {
          ...event('s1', 'a', T0),
          kind: 'title',
          suppressed: 'cooldown',
          title: null,
          startedAt: null,
          tags: [],
        };
        await store.commit({
          channelId: 'a',
          state: liveState(T0),
          events: [suppressed],
          deliveries: [],
        });
        expect(await store.getEvent('s1')).toEqual(suppressed);
        expect(await store.getEvent('none')).toBeUndefined();
      });
    });

    describe('outbox', () => {
      it('returns due deliveries oldest first, not those due later, up to the limit', async () => {
        await seed(store, ['a', 'b', 'c']);
        await announce(store, 'b', 'b1', T0 + 2);
        await announce(store, 'a', 'a1', T0 + 1);
        await announce(store, 'c', 'c1', T0 + 50);
        expect((await store.dueDeliveries(T0 + 10, 10)).map((d) => d.event.id)).toEqual([
          'a1',
          'b1',
        ]);
        expect((await store.dueDeliveries(T0 + 10, 1)).map((d) => d.event.id)).toEqual(['a1']);
        const [first] = await store.dueDeliveries(T0 + 10, 1);
        expect(first?.event).toEqual(event('a1', 'a', T0 + 1));
      });

      it('holds back all but the oldest pending delivery per (channel, target)', async () => {
        await seed(store, ['a'], ['t1', 't2']);
        await announce(store, 'a', 'live', T0 + 1, ['t1']);
        await announce(store, 'a', 'title', T0 + 2, ['t1', 't2']);
        const due = await store.dueDeliveries(T0 + 10, 10);
        expect(due.map((d) => `${d.event.id}>${d.delivery.targetId}`)).toEqual([
          'live>t1',
          'title>t2',
        ]);
        // A retry pushed into the future still holds back its successor: order beats speed.
        const live = due[0]!.delivery;
        await store.updateDelivery(
          live.seq,
          {
            status: 'pending',
            attempts: 1,
            nextAttemptAt: T0 + 1_000,
            lastError: 'HTTP 503',
            providerMessageId: null,
          },
          T0 + 10,
        );
        expect(
          (await store.dueDeliveries(T0 + 10, 10)).map(
            (d) => `${d.event.id}>${d.delivery.targetId}`,
          ),
        ).toEqual(['title>t2']);
        await store.updateDelivery(
          live.seq,
          {
            status: 'failed',
            attempts: 2,
            nextAttemptAt: T0 + 20,
            lastError: 'HTTP 404',
            providerMessageId: null,
          },
          T0 + 20,
        );
        expect(
          (await store.dueDeliveries(T0 + 20, 10)).map(
            (d) => `${d.event.id}>${d.delivery.targetId}`,
          ),
        ).toEqual(['title>t1', 'title>t2']);
      });

      it('says when the next pending delivery falls due', async () => {
        expect(await store.nextDeliveryAt()).toBeUndefined();
        await seed(store, ['a', 'b']);
        await announce(store, 'a', 'a1', T0 + 7);
        await announce(store, 'b', 'b1', T0 + 3);
        expect(await store.nextDeliveryAt()).toBe(T0 + 3);
        const b1 = (await store.listDeliveries({ eventId: 'b1', limit: 1 }))[0]!;
        await store.updateDelivery(
          b1.seq,
          {
            status: 'sent',
            attempts: 1,
            nextAttemptAt: T0 + 4,
            lastError: null,
            providerMessageId: 'm1',
          },
          T0 + 4,
        );
        expect(await store.nextDeliveryAt()).toBe(T0 + 7);
      });

      it('records attempts, filters the list and counts by status', async () => {
        await seed(store, ['a', 'b', 'c'], ['t1', 't2']);
        await announce(store, 'a', 'a1', T0, ['t1', 't2']);
        await announce(store, 'b', 'b1', T0, ['t1']);
        await announce(store, 'c', 'c1', T0, ['t2']);
        const [a1t1] = await store.listDeliveries({ eventId: 'a1', targetId: 't1', limit: 10 });
        await store.updateDelivery(
          a1t1!.seq,
          {
            status: 'sent',
            attempts: 3,
            nextAttemptAt: T0 + 9,
            lastError: null,
            providerMessageId: 'msg-1',
          },
          T0 + 9,
        );
        const [b1] = await store.listDeliveries({ eventId: 'b1', limit: 10 });
        await store.updateDelivery(
          b1!.seq,
          {
            status: 'failed',
            attempts: 1,
            nextAttemptAt: T0 + 9,
            lastError: 'HTTP 404',
            providerMessageId: null,
          },
          T0 + 9,
        );
        expect(await store.listDeliveries({ eventId: 'a1', targetId: 't1', limit: 10 })).toEqual([
          {
            ...a1t1!,
            status: 'sent',
            attempts: 3,
            nextAttemptAt: T0 + 9,
            providerMessageId: 'msg-1',
            updatedAt: T0 + 9,
          },
        ]);
        expect(
          (await store.listDeliveries({ status: 'pending', limit: 10 }))
            .map((d) => d.eventId)
            .sort(),
        ).toEqual(['a1', 'c1']);
        expect(
          (await store.listDeliveries({ targetId: 't2', limit: 10 })).map((d) => d.eventId),
        ).toEqual(['c1', 'a1']);
        expect(await store.listDeliveries({ limit: 2 })).toHaveLength(2);
        expect(await store.countDeliveries()).toEqual({ pending: 2, sent: 1, failed: 1 });
      });

      it('claims due deliveries for a lease: not due to anyone else until it ends', async () => {
        await seed(store, ['a', 'b']);
        await announce(store, 'a', 'a1', T0);
        await announce(store, 'b', 'b1', T0 + 1);
        const claimed = await store.claimDueDeliveries(T0 + 10, 10, 30_000);
        expect(claimed.map((d) => [d.event.id, d.delivery.nextAttemptAt])).toEqual([
          ['a1', T0 + 30_010],
          ['b1', T0 + 30_010],
        ]);
        expect(await store.claimDueDeliveries(T0 + 20, 10, 30_000)).toEqual([]);
        expect(await store.dueDeliveries(T0 + 20, 10)).toEqual([]);
        expect(await store.nextDeliveryAt()).toBe(T0 + 30_010);
        // The claimer died without recording anything: the lease runs out and they are due again.
        expect(
          (await store.claimDueDeliveries(T0 + 30_010, 10, 30_000)).map((d) => d.event.id),
        ).toEqual(['a1', 'b1']);
      });

      it('never hands one delivery to two concurrent claimers', async () => {
        await checks.claimsAreExclusive(store, await reopen());
      });
    });

    describe('recordings', () => {
      // Every store adapter keeps recording parts too (KyselyStore implements both ports).
      const recordings = () => store as Store & RecordingStore;
      const part = (id: string, change: Partial<StoredRecording> = {}): StoredRecording => ({
        id,
        channelId: 'cam',
        session: 'cam-20260101T000000Z',
        part: 1,
        path: `cam/${id}.ts`,
        container: 'ts',
        startedAt: T0,
        endedAt: null,
        bytes: 0,
        status: 'recording',
        endReason: null,
        resume: null,
        mediaMs: null,
        ...change,
      });

      it('inserts once per id, reads back exactly, lists oldest first and filtered', async () => {
        const r = recordings();
        expect(
          await r.insertRecording(
            part('s.1', { resume: { lastMsn: 5, lastDsn: 0, targetDuration: 2 } }),
          ),
        ).toBe(true);
        expect(await r.insertRecording(part('s.1', { path: 'other.ts' }))).toBe(false);
        await r.insertRecording(part('s.2', { part: 2, startedAt: T0 + 10 }));
        await r.insertRecording(
          part('t.1', {
            channelId: 'dog',
            session: 'dog-x',
            startedAt: T0 - 10,
            status: 'done',
            endedAt: T0,
          }),
        );
        expect(await r.getRecording('s.1')).toStrictEqual(
          part('s.1', { resume: { lastMsn: 5, lastDsn: 0, targetDuration: 2 } }),
        );
        expect((await r.listRecordings()).map((x) => x.id)).toStrictEqual(['t.1', 's.1', 's.2']);
        expect((await r.listRecordings({ channelId: 'cam' })).map((x) => x.id)).toStrictEqual([
          's.1',
          's.2',
        ]);
        expect((await r.listRecordings({ session: 'dog-x' })).map((x) => x.id)).toStrictEqual([
          't.1',
        ]);
        expect((await r.listRecordings({ status: 'recording' })).map((x) => x.id)).toStrictEqual([
          's.1',
          's.2',
        ]);
        expect(await r.getRecording('nope')).toBeUndefined();
      });

      it('updates only the given fields, with large byte counts as numbers', async () => {
        const r = recordings();
        await r.insertRecording(part('s.1'));
        await r.updateRecording('s.1', {
          bytes: 5_000_000_000,
          resume: { lastMsn: 9, lastDsn: 1, targetDuration: 4 },
          mediaMs: 3_600_000_123,
        });
        await r.updateRecording('s.1', {
          status: 'done',
          endedAt: T0 + 60_000,
          endReason: 'offline',
          path: 'cam/s.1.mp4',
          container: 'mp4',
        });
        expect(await r.getRecording('s.1')).toStrictEqual(
          part('s.1', {
            bytes: 5_000_000_000,
            resume: { lastMsn: 9, lastDsn: 1, targetDuration: 4 },
            mediaMs: 3_600_000_123,
            status: 'done',
            endedAt: T0 + 60_000,
            endReason: 'offline',
            path: 'cam/s.1.mp4',
            container: 'mp4',
          }),
        );
        await r.updateRecording('s.1', { resume: null });
        expect((await r.getRecording('s.1'))?.resume).toBeNull();
      });

      it('deletes, says whether it existed, and keeps parts across a restart', async () => {
        await recordings().insertRecording(part('s.1'));
        await recordings().insertRecording(part('s.2', { part: 2 }));
        expect(await recordings().deleteRecording('s.2')).toBe(true);
        expect(await recordings().deleteRecording('s.2')).toBe(false);
        await store.close();
        store = await opened.reopen();
        expect((await recordings().listRecordings()).map((x) => x.id)).toStrictEqual(['s.1']);
      });
    });

    it('keeps small settings', async () => {
      expect(await store.getSetting('k')).toBeUndefined();
      await store.setSetting('k', 'v1');
      await store.setSetting('k', 'v2');
      expect(await store.getSetting('k')).toBe('v2');
    });

    it('keeps everything across a restart', async () => {
      await seed(store, ['a']);
      await announce(store, 'a', 'a1', T0);
      await store.setSetting('admin', 'hash');
      await store.close();
      store = await opened.reopen();
      expect((await store.listChannels()).map((c) => c.id)).toEqual(['a']);
      expect(await store.listSubscriptions()).toEqual([subscription('a', 't1')]);
      expect(await store.getState('a')).toEqual(liveState(T0));
      expect(await store.getEvent('a1')).toEqual(event('a1', 'a', T0));
      expect(await store.countDeliveries()).toEqual({ pending: 1, sent: 0, failed: 0 });
      expect(await store.getSetting('admin')).toBe('hash');
    });
  });
}

/** A store that behaves like `store` except for the methods given: for negative twins. */
export function brokenStore(store: Store, overrides: Partial<Store>): Store {
  return new Proxy(store, {
    get(target, property, receiver) {
      const override = (overrides as Record<PropertyKey, unknown>)[property];
      if (override !== undefined) return override;
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function'
        ? (value as (...args: unknown[]) => unknown).bind(target)
        : value;
    },
  });
}
