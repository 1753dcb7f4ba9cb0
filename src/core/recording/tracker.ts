import { isOfflineClip, type MediaPlaylist, type Segment } from './media-playlist.js';

/** Where a recording of one variant stands: the last segment handled (written or given up). */
export interface TrackState {
  readonly lastMsn: number;
  readonly lastDsn: number;
  /** Seconds; an origin that changes it has restarted (RFC 8216: it must not change). */
  readonly targetDuration: number;
}

/** What to do after a playlist load, in order. */
export type TrackStep =
  /** Fetch and write this segment. */
  | { readonly kind: 'segment'; readonly segment: Segment }
  /** These MSNs are lost (left the window before we saw them, or marked `EXT-X-GAP`). */
  | {
      readonly kind: 'gap';
      readonly fromMsn: number;
      readonly toMsn: number;
      readonly reason: 'missed' | 'gapTag';
    }
  /**
   * Start a new part before the next segment: timestamps or codec parameters reset at a
   * discontinuity, or the origin restarted (MSN went backwards, target duration changed).
   */
  | { readonly kind: 'split'; readonly reason: 'discontinuity' | 'restart' }
  /** The stream is over: `#EXT-X-ENDLIST`, or Owncast's offline clip. */
  | { readonly kind: 'end'; readonly reason: 'endList' | 'offlineClip' };

export interface TrackResult {
  readonly steps: readonly TrackStep[];
  /** Whether the playlist had anything new (for the reload timing of RFC 8216 §6.3.4). */
  readonly changed: boolean;
}

/**
 * Which segments of a freshly loaded playlist to record (PROTOCOLS.md §6.4): those with an MSN
 * above the last one handled, in order — so no segment is written twice, whatever its URI (a
 * token refresh changes every URI). A first MSN beyond the next expected one is a gap; an MSN
 * that went backwards or a changed target duration is an origin restart (a new part from the
 * playlist's first segment); a discontinuity (its tag, or a risen DSN) is a split. `state` null: the first load, which records
 * the whole window. Steps stop at Owncast's offline clip. The caller advances the state with
 * `advance` as it handles each segment.
 */
export function track(state: TrackState | null, playlist: MediaPlaylist): TrackResult {
  const steps: TrackStep[] = [];
  const segments = playlist.segments;
  const last = segments[segments.length - 1];
  let expected: number;
  let dsn: number | null;
  if (state === null) {
    expected = segments[0]?.msn ?? playlist.mediaSequence;
    dsn = null;
  } else if (
    (last !== undefined && last.msn < state.lastMsn) ||
    playlist.targetDuration !== state.targetDuration
  ) {
    steps.push({ kind: 'split', reason: 'restart' });
    expected = segments[0]?.msn ?? playlist.mediaSequence;
    dsn = null;
  } else {
    expected = state.lastMsn + 1;
    dsn = state.lastDsn;
  }
  for (const segment of segments) {
    if (segment.msn < expected) continue;
    if (isOfflineClip(segment)) {
      steps.push({ kind: 'end', reason: 'offlineClip' });
      return { steps, changed: true };
    }
    if (segment.msn > expected)
      steps.push({ kind: 'gap', fromMsn: expected, toMsn: segment.msn - 1, reason: 'missed' });
    // A discontinuity is a tag before this very segment, or a DSN that rose past the last one
    // handled (its tag left the window unseen). A DSN that fell is no discontinuity: servers that
    // open a stream with `#EXT-X-DISCONTINUITY` and keep no `EXT-X-DISCONTINUITY-SEQUENCE`
    // (nginx-rtmp) lower every DSN by one when that first segment slides out of the window.
    if (dsn !== null && (segment.discontinuity || segment.dsn > dsn))
      steps.push({ kind: 'split', reason: 'discontinuity' });
    dsn = segment.dsn;
    steps.push(
      segment.gap
        ? { kind: 'gap', fromMsn: segment.msn, toMsn: segment.msn, reason: 'gapTag' }
        : { kind: 'segment', segment },
    );
    expected = segment.msn + 1;
  }
  const changed = steps.some((s) => s.kind !== 'end');
  if (playlist.endList) steps.push({ kind: 'end', reason: 'endList' });
  return { steps, changed };
}

/** The state after handling `segment` of `playlist`. */
export function advance(
  playlist: MediaPlaylist,
  segment: Pick<Segment, 'msn' | 'dsn'>,
): TrackState {
  return { lastMsn: segment.msn, lastDsn: segment.dsn, targetDuration: playlist.targetDuration };
}

/**
 * How long to wait before the next playlist load (RFC 8216 §6.3.4): one target duration from
 * the start of the previous load when it changed, half of one when it did not.
 */
export function reloadDelayMs(
  changed: boolean,
  targetDurationS: number,
  elapsedSinceLoadStartMs: number,
): number {
  const wait = (changed ? 1 : 0.5) * targetDurationS * 1_000;
  return Math.max(0, wait - elapsedSinceLoadStartMs);
}
