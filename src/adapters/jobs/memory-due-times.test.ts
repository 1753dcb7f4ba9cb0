import { describe } from 'vitest';
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
