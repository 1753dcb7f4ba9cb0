import { MinHeap } from '../../app/min-heap.js';
import type { MonotonicClock } from '../../ports/clock.js';
import type { DueAt, DueEntry, DueTimes } from '../../ports/due-times.js';

interface Slot {
  readonly channelId: string;
  /** Bumped when the channel is rescheduled or removed; stale heap entries are skipped. */
  readonly generation: number;
}

interface Due {
  readonly platform: string;
  readonly at: number;
  readonly generation: number;
}

/** Due times of the embedded mode: a heap in memory on the monotonic clock. */
export class MemoryDueTimes implements DueTimes {
  private readonly heap = new MinHeap<Slot>();
  private readonly due = new Map<string, Due>();
  private readonly clock: MonotonicClock;
  private generation = 0;

  constructor(clock: MonotonicClock) {
    this.clock = clock;
  }

  schedule(entries: readonly DueAt[]): Promise<void> {
    const now = this.clock.now();
    for (const e of entries) this.put(e.channelId, e.platform, now + e.delayMs);
    return Promise.resolve();
  }

  scheduleMissing(entries: readonly DueAt[]): Promise<void> {
    const now = this.clock.now();
    for (const e of entries)
      if (!this.due.has(e.channelId)) this.put(e.channelId, e.platform, now + e.delayMs);
    return Promise.resolve();
  }

  remove(channelIds: readonly string[]): Promise<void> {
    for (const id of channelIds) this.due.delete(id);
    return Promise.resolve();
  }

  claimDue(limit: number, claimMs: number): Promise<DueEntry[]> {
    const now = this.clock.now();
    const claimed: DueEntry[] = [];
    while (claimed.length < limit) {
      this.dropStale();
      const key = this.heap.peekKey();
      if (key === undefined || key > now) break;
      const { channelId } = this.heap.pop()!;
      const platform = this.due.get(channelId)!.platform;
      this.put(channelId, platform, now + claimMs);
      claimed.push({ channelId, platform });
    }
    return Promise.resolve(claimed);
  }

  claimSoon(platform: string, withinMs: number, limit: number, claimMs: number): Promise<string[]> {
    const now = this.clock.now();
    const claimed: string[] = [];
    // Only batching platforms ask, and only when a batch has room: a scan is cheaper than an index.
    for (const [id, due] of this.due) {
      if (claimed.length >= limit) break;
      if (due.platform !== platform || due.at - now > withinMs) continue;
      claimed.push(id);
    }
    for (const id of claimed) this.put(id, platform, now + claimMs);
    return Promise.resolve(claimed);
  }

  nextDueInMs(): Promise<number | null> {
    this.dropStale();
    const key = this.heap.peekKey();
    return Promise.resolve(key === undefined ? null : Math.max(0, key - this.clock.now()));
  }

  private put(channelId: string, platform: string, at: number): void {
    const generation = ++this.generation;
    this.due.set(channelId, { platform, at, generation });
    this.heap.push(at, { channelId, generation });
  }

  /** Pops entries of removed or rescheduled channels. */
  private dropStale(): void {
    for (let slot = this.heap.peek(); slot; slot = this.heap.peek()) {
      if (this.due.get(slot.channelId)?.generation === slot.generation) return;
      this.heap.pop();
    }
  }
}
