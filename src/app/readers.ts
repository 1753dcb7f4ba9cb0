import type { Cancel, Clock, Timers } from '../ports/clock.js';

/** Who needs a channel's playable URL kept fresh. */
export type ReaderKind = 'viewer' | 'recorder' | 'keepalive';

export interface Reader {
  readonly channelId: string;
  readonly kind: ReaderKind;
  /** Unique per reader of a channel (a viewer session, a recording, a keepalive id). */
  readonly id: string;
  readonly since: number;
  /** Last sign of life; viewers are dropped when it gets old. */
  readonly lastSeen: number;
}

export interface ReadersOptions {
  readonly clock: Clock;
  readonly timers: Timers;
  /** After the last reader leaves, the channel stays active this long (mediamtx's closeAfter). */
  readonly closeAfterMs: number;
  /** A viewer that has not requested anything for this long is released. */
  readonly viewerIdleMs: number;
  readonly onActive: (channelId: string) => void;
  readonly onInactive: (channelId: string) => void;
}

/**
 * The readers registry: acquire/release per channel with a kind and an id. A channel with
 * readers is active; it turns inactive `closeAfterMs` after its last reader left, unless a
 * reader came back in the meantime.
 */
export class Readers {
  private readonly options: ReadersOptions;
  private readonly byChannel = new Map<string, Map<string, Reader>>();
  private readonly closing = new Map<string, Cancel>();
  private readonly active = new Set<string>();
  private sweeper: Cancel | null = null;

  constructor(options: ReadersOptions) {
    this.options = options;
  }

  /** Adds a reader, or refreshes its `lastSeen` if it is already there. */
  acquire(channelId: string, kind: ReaderKind, id: string): void {
    const now = this.options.clock.now();
    let readers = this.byChannel.get(channelId);
    if (!readers) {
      readers = new Map();
      this.byChannel.set(channelId, readers);
    }
    const key = `${kind}:${id}`;
    const existing = readers.get(key);
    readers.set(key, { channelId, kind, id, since: existing?.since ?? now, lastSeen: now });
    this.closing.get(channelId)?.();
    this.closing.delete(channelId);
    if (!this.active.has(channelId)) {
      this.active.add(channelId);
      this.options.onActive(channelId);
    }
    if (kind === 'viewer') this.armSweeper();
  }

  /** Removes a reader; the channel turns inactive after the close-after delay if it was the last. */
  release(channelId: string, kind: ReaderKind, id: string): boolean {
    const readers = this.byChannel.get(channelId);
    const removed = readers?.delete(`${kind}:${id}`) ?? false;
    if (readers && readers.size === 0) {
      this.byChannel.delete(channelId);
      this.scheduleClose(channelId);
    }
    return removed;
  }

  /** Drops every reader of a channel at once (the channel was deleted): inactive now. */
  forget(channelId: string): void {
    this.byChannel.delete(channelId);
    this.closing.get(channelId)?.();
    this.closing.delete(channelId);
    if (this.active.delete(channelId)) this.options.onInactive(channelId);
  }

  readers(channelId: string): Reader[] {
    return [...(this.byChannel.get(channelId)?.values() ?? [])];
  }

  isActive(channelId: string): boolean {
    return this.active.has(channelId);
  }

  activeChannels(): string[] {
    return [...this.active];
  }

  stop(): void {
    this.sweeper?.();
    this.sweeper = null;
    for (const cancel of this.closing.values()) cancel();
    this.closing.clear();
  }

  private scheduleClose(channelId: string): void {
    this.closing.get(channelId)?.();
    this.closing.set(
      channelId,
      this.options.timers.after(this.options.closeAfterMs, () => {
        this.closing.delete(channelId);
        if (this.byChannel.has(channelId)) return;
        if (this.active.delete(channelId)) this.options.onInactive(channelId);
      }),
    );
  }

  private armSweeper(): void {
    if (this.sweeper) return;
    const every = Math.max(1_000, Math.floor(this.options.viewerIdleMs / 2));
    this.sweeper = this.options.timers.after(every, () => {
      this.sweeper = null;
      this.sweep();
    });
  }

  /** Releases viewers that stopped requesting; re-arms while any viewer remains. */
  private sweep(): void {
    const cutoff = this.options.clock.now() - this.options.viewerIdleMs;
    let viewersLeft = false;
    for (const [channelId, readers] of [...this.byChannel]) {
      for (const reader of [...readers.values()]) {
        if (reader.kind !== 'viewer') continue;
        if (reader.lastSeen < cutoff) this.release(channelId, 'viewer', reader.id);
        else viewersLeft = true;
      }
    }
    if (viewersLeft) this.armSweeper();
  }
}
