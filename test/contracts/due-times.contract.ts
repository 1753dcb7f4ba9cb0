import { afterEach, beforeEach, expect, it } from 'vitest';
import type { DueTimes } from '../../src/ports/due-times.js';

/** One adapter under test, over fresh state. */
export interface DueTimesSubject {
  readonly due: DueTimes;
  /** A second handle on the same schedule, as another process of a cluster would hold. */
  readonly other: DueTimes;
  /** Makes channels exist (a cluster's table only takes channels the store has). */
  addChannels(ids: readonly string[]): Promise<void>;
  /** Lets time pass until `check` holds (advancing a manual clock, or waiting on a real one). */
  until(check: () => Promise<boolean>, what: string): Promise<void>;
  close(): Promise<void>;
}

const ids = (n: number, prefix = 'c') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const at = (channelIds: readonly string[], delayMs: number, platform = 'owncast') =>
  channelIds.map((channelId) => ({ channelId, platform, delayMs }));
const sorted = (list: readonly string[]) => [...list].sort();

/** The DueTimes contract; each adapter runs it in two lines. */
export function dueTimesContract(make: () => Promise<DueTimesSubject>): void {
  let s: DueTimesSubject;
  beforeEach(async () => {
    s = await make();
  });
  afterEach(async () => {
    await s.close();
  });

  it('claims what is due, earliest first, up to the limit; nothing before its time', async () => {
    await s.addChannels(ids(5));
    await s.due.schedule([
      ...at(['c3'], 0),
      ...at(['c1'], -2_000),
      ...at(['c2'], -1_000),
      ...at(['c4'], 3_600_000),
    ]);
    expect(await s.due.claimDue(2, 60_000)).toEqual([
      { channelId: 'c1', platform: 'owncast' },
      { channelId: 'c2', platform: 'owncast' },
    ]);
    expect(await s.due.claimDue(10, 60_000)).toEqual([{ channelId: 'c3', platform: 'owncast' }]);
    expect(await s.due.claimDue(10, 60_000)).toEqual([]);
    const wait = await s.due.nextDueInMs();
    // c1..c3 are claimed for a minute, c4 is due in an hour: the next is a claim lapsing.
    expect(wait).toBeGreaterThan(50_000);
    expect(wait).toBeLessThanOrEqual(60_000);
  });

  it('a claim keeps a channel from everyone until it lapses, then it is due again', async () => {
    await s.addChannels(['a']);
    await s.due.schedule(at(['a'], 0));
    expect(await s.due.claimDue(1, 300)).toHaveLength(1);
    expect(await s.other.claimDue(1, 300)).toEqual([]);
    await s.until(async () => (await s.other.claimDue(1, 300)).length === 1, 'the claim to lapse');
  });

  it('a reschedule replaces a claim; scheduleMissing keeps a time already set', async () => {
    await s.addChannels(['a', 'b']);
    await s.due.schedule(at(['a'], 0));
    expect(await s.due.claimDue(1, 3_600_000)).toHaveLength(1);
    await s.due.schedule(at(['a'], 0));
    await s.due.scheduleMissing(at(['a', 'b'], 3_600_000));
    expect(await s.due.claimDue(5, 60_000)).toEqual([{ channelId: 'a', platform: 'owncast' }]);
    expect(await s.due.nextDueInMs()).toBeGreaterThan(50_000);
  });

  it('forgets removed channels', async () => {
    await s.addChannels(['a', 'b']);
    await s.due.schedule(at(['a', 'b'], 0));
    await s.due.remove(['a']);
    expect(await s.due.claimDue(5, 60_000)).toEqual([{ channelId: 'b', platform: 'owncast' }]);
    await s.due.remove(['b']);
    expect(await s.due.nextDueInMs()).toBeNull();
  });

  it('fills a batch with channels of that platform due soon, and no others', async () => {
    await s.addChannels([...ids(4, 't'), ...ids(2, 'o')]);
    await s.due.schedule([
      ...at(['t0', 't1'], 10_000, 'twitch'),
      ...at(['t2'], 20_000, 'twitch'),
      ...at(['t3'], 3_600_000, 'twitch'),
      ...at(['o0', 'o1'], 0),
    ]);
    expect(sorted(await s.due.claimSoon('twitch', 15_000, 10, 60_000))).toEqual(['t0', 't1']);
    expect(await s.due.claimSoon('twitch', 25_000, 10, 60_000)).toEqual(['t2']);
    expect(await s.due.claimSoon('twitch', 25_000, 10, 60_000)).toEqual([]);
    expect(sorted((await s.due.claimDue(10, 60_000)).map((e) => e.channelId))).toEqual([
      'o0',
      'o1',
    ]);
  });

  it('never hands one channel to two claimers at once', async () => {
    const all = ids(400);
    await s.addChannels(all);
    await s.due.schedule(at(all, 0));
    const claims = await Promise.all(
      Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? s.due : s.other).claimDue(60, 60_000)),
    );
    const got = claims.flat().map((e) => e.channelId);
    expect(new Set(got).size).toBe(got.length);
    expect(got.length).toBeGreaterThan(0);
    // The rest is still there for the next claims.
    const rest = await s.due.claimDue(1_000, 60_000);
    expect(sorted([...got, ...rest.map((e) => e.channelId)])).toEqual(sorted(all));
  });
}
