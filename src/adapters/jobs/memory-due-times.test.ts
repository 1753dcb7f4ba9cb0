import { describe, expect, it } from 'vitest';
import { dueTimesContract } from '../../../test/contracts/due-times.contract.js';
import { ManualTime } from '../../../test/fakes/manual-time.js';
import { MemoryDueTimes } from './memory-due-times.js';

describe('MemoryDueTimes', () => {
  dueTimesContract(() => {
    const time = new ManualTime();
    const due = new MemoryDueTimes(time.monotonic);
    return Promise.resolve({
      due,
      // One process: the other handle is the same heap.
      other: due,
      addChannels: () => Promise.resolve(),
      async until(check, what) {
        for (let i = 0; i < 1_000; i++) {
          if (await check()) return;
          await time.advance(50);
        }
        throw new Error(`never: ${what}`);
      },
      close: () => Promise.resolve(),
    });
  });
});

describe('due times on a monotonic clock', () => {
  it('are not moved by a wall-clock step (and would be if kept on the wall clock)', async () => {
    const time = new ManualTime();
    const monotonic = new MemoryDueTimes(time.monotonic);
    // The negative twin: the same heap keyed on wall time.
    const wall = new MemoryDueTimes(time);
    for (const due of [monotonic, wall])
      await due.schedule([{ channelId: 'a', platform: 'owncast', delayMs: 10_000 }]);
    time.stepWall(-3_600_000);
    await time.advance(10_000);
    expect(await monotonic.claimDue(1, 60_000)).toHaveLength(1);
    expect(await wall.claimDue(1, 60_000)).toHaveLength(0);
  });
});
