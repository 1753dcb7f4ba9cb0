import type { Instant } from '../time.js';

export interface RetentionPolicy {
  /** Parts that ended longer ago than this are deleted. */
  readonly maxAgeMs: number | null;
  /** The oldest finished parts are deleted while all parts together take more than this. */
  readonly maxBytes: number | null;
}

export interface RetainedPart {
  readonly id: string;
  readonly startedAt: Instant;
  readonly endedAt: Instant | null;
  readonly bytes: number;
  /** Parts still being written are never deleted (they count towards the size). */
  readonly recording: boolean;
}

/** The ids of the parts to delete under `policy` at `now`, oldest first. */
export function partsToDelete(
  parts: readonly RetainedPart[],
  policy: RetentionPolicy,
  now: Instant,
): string[] {
  const finished = parts
    .filter((p) => !p.recording)
    .sort((a, b) => a.startedAt - b.startedAt || (a.id < b.id ? -1 : 1));
  const doomed = new Set<string>();
  if (policy.maxAgeMs !== null) {
    for (const p of finished)
      if (now - (p.endedAt ?? p.startedAt) > policy.maxAgeMs) doomed.add(p.id);
  }
  if (policy.maxBytes !== null) {
    let total = parts.filter((p) => !doomed.has(p.id)).reduce((n, p) => n + p.bytes, 0);
    for (const p of finished) {
      if (total <= policy.maxBytes) break;
      if (doomed.has(p.id)) continue;
      doomed.add(p.id);
      total -= p.bytes;
    }
  }
  return finished.filter((p) => doomed.has(p.id)).map((p) => p.id);
}
