import type { Instant } from '../time.js';

/**
 * Where a stream stood at the last probe: a `mark` that changes whenever the stream advances
 * (for a media playlist, its last media sequence number and segment list; for FLV, whether a tag
 * arrived) and when that mark was first seen.
 */
export interface Progress {
  readonly mark: string;
  readonly since: Instant;
}

export type ProgressVerdict =
  | { readonly stalled: false; readonly progress: Progress }
  /** Not advanced for longer than the threshold: offline, stopped at `since`. */
  | { readonly stalled: true; readonly progress: Progress; readonly since: Instant };

/**
 * Whether a stream stalled: the same `mark` for longer than `thresholdMs` since it was first seen.
 * A new mark starts the clock again. Pure: the caller keeps `progress` between probes.
 */
export function judgeProgress(
  previous: Progress | undefined,
  mark: string,
  now: Instant,
  thresholdMs: number,
): ProgressVerdict {
  const progress =
    previous !== undefined && previous.mark === mark ? previous : { mark, since: now };
  return now - progress.since > thresholdMs
    ? { stalled: true, progress, since: progress.since }
    : { stalled: false, progress };
}

/**
 * How long a media playlist may stay unchanged before it counts as stalled: RFC 8216 lets a server
 * take up to 1.5 target durations per update, so three are a clear miss; never less than
 * `staleAfterMs` (config `poll.staleAfter`).
 */
export function playlistStallMs(targetDurationS: number | null, staleAfterMs: number): number {
  return Math.max(3 * (targetDurationS ?? 0) * 1_000, staleAfterMs);
}

/** The progress mark of a media playlist: its last MSN, segment count and last segment (query dropped). */
export function playlistMark(playlist: {
  readonly mediaSequence: number;
  readonly segmentCount: number;
  readonly lastUri: string | null;
}): string {
  return `${playlist.mediaSequence + playlist.segmentCount - 1}/${playlist.segmentCount}/${playlist.lastUri ?? ''}`;
}
