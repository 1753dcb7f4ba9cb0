/**
 * Judging a receiver's log against what onair should have sent. Pure, so its negative twin
 * (`verdict.test.ts`) can show that each kind of failure is caught.
 */

export interface Delivered {
  readonly deliveryId: string;
  readonly channel: string;
  readonly event: string;
}

export interface Verdict {
  /** Expected ids the receiver never got. */
  readonly lost: string[];
  /** Ids the receiver got more than once (at-least-once redeliveries), with their counts. */
  readonly doubled: Record<string, number>;
  /** Raw duplicates: requests beyond the first for an id. */
  readonly duplicates: number;
  /** Ids the receiver got that onair never announced. */
  readonly unexpected: string[];
  /** Channels whose first receipts came in another order than announced. */
  readonly outOfOrder: string[];
}

/**
 * `expected` is the announced events in the order onair decided them (oldest first);
 * `received` is every request the receiver read, in arrival order.
 */
export function judge(expected: readonly Delivered[], received: readonly Delivered[]): Verdict {
  const counts = new Map<string, number>();
  for (const r of received) counts.set(r.deliveryId, (counts.get(r.deliveryId) ?? 0) + 1);
  const known = new Set(expected.map((e) => e.deliveryId));
  const doubled: Record<string, number> = {};
  let duplicates = 0;
  for (const [id, n] of counts) {
    if (n > 1) {
      doubled[id] = n;
      duplicates += n - 1;
    }
  }
  const outOfOrder: string[] = [];
  for (const channel of new Set(expected.map((e) => e.channel))) {
    const want = expected.filter((e) => e.channel === channel).map((e) => e.deliveryId);
    const seen = new Set<string>();
    const firstReceipts: string[] = [];
    for (const r of received) {
      if (r.channel !== channel || seen.has(r.deliveryId)) continue;
      seen.add(r.deliveryId);
      firstReceipts.push(r.deliveryId);
    }
    if (firstReceipts.join() !== want.filter((id) => seen.has(id)).join()) outOfOrder.push(channel);
  }
  return {
    lost: expected.filter((e) => !counts.has(e.deliveryId)).map((e) => e.deliveryId),
    doubled,
    duplicates,
    unexpected: [...counts.keys()].filter((id) => !known.has(id)),
    outOfOrder,
  };
}

/**
 * Channels whose announced events do not follow live → (title)* → offline → live …: a lost
 * `live` or `offline` shows up as two of a kind in a row.
 */
export function brokenAlternation(expected: readonly Delivered[]): string[] {
  const broken = new Set<string>();
  const last = new Map<string, string>();
  for (const e of expected) {
    const previous = last.get(e.channel);
    const ok =
      e.event === 'live'
        ? previous === undefined || previous === 'offline'
        : e.event === 'title'
          ? previous === 'live' || previous === 'title'
          : previous === 'live' || previous === 'title';
    if (!ok) broken.add(e.channel);
    last.set(e.channel, e.event);
  }
  return [...broken];
}
