import type { BusMessage } from '../ports/event-bus.js';
import type { Store, StoredEvent } from '../ports/store.js';

/** Bounds of `GET /api/v1/events/stream` (config `eventStream`). */
export interface EventStreamLimits {
  /** Open streams per user; one more is refused with 429. */
  readonly perUser: number;
  /** Open streams in all; one more is refused with 429. */
  readonly total: number;
  /** Bytes written but not yet taken by a client; past this it is dropped (it reconnects and replays). */
  readonly maxUnsentBytes: number;
  /** How far back `Last-Event-ID` may point: the newest this many events are searched. */
  readonly replay: number;
}

export type SlotOutcome =
  | { readonly ok: true; readonly release: () => void }
  | { readonly ok: false; readonly reason: string };

/** Counts open streams per user and in all. */
export class StreamSlots {
  private open = 0;
  private readonly byUser = new Map<string, number>();
  private readonly limits: Pick<EventStreamLimits, 'perUser' | 'total'>;

  constructor(limits: Pick<EventStreamLimits, 'perUser' | 'total'>) {
    this.limits = limits;
  }

  take(user: string): SlotOutcome {
    const mine = this.byUser.get(user) ?? 0;
    if (mine >= this.limits.perUser)
      return {
        ok: false,
        reason: `${user} has ${String(mine)} event streams open, the most allowed (eventStream.perUser); close one first`,
      };
    if (this.open >= this.limits.total)
      return {
        ok: false,
        reason: `${String(this.open)} event streams are open, the most allowed (eventStream.total); try again later`,
      };
    this.open += 1;
    this.byUser.set(user, mine + 1);
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        this.open -= 1;
        const left = (this.byUser.get(user) ?? 1) - 1;
        if (left === 0) this.byUser.delete(user);
        else this.byUser.set(user, left);
      },
    };
  }

  /** Streams open now (metrics, tests). */
  get count(): number {
    return this.open;
  }
}

/**
 * The events after `lastId`, oldest first, from the newest `max` of the history; null when
 * `lastId` is not among them (too old, or never sent): the client has to reload what it shows.
 */
export async function missedEvents(
  store: Pick<Store, 'listEvents'>,
  lastId: string,
  max: number,
): Promise<StoredEvent[] | null> {
  const recent = await store.listEvents({ limit: max });
  const at = recent.findIndex((e) => e.id === lastId);
  return at === -1 ? null : recent.slice(0, at).reverse();
}

/** One SSE message; an announced event carries its id, so a reconnecting client names it. */
export function sseMessage(message: BusMessage, data: unknown): string {
  const id = message.type === 'event' ? `id: ${message.event.id}\n` : '';
  return `${id}event: ${message.type}\ndata: ${JSON.stringify(data)}\n\n`;
}
