import { judgeProgress, type Progress, type ProgressVerdict } from '../../core/liveness/stall.js';
import type { Clock } from '../../ports/clock.js';

/** How long a stream may stop advancing before it counts as offline (`poll.staleAfter`). */
export interface StallSettings {
  readonly clock: Clock;
  readonly staleAfterMs: number;
}

/**
 * Probes are stateless; a stall is not. Keeps, per channel, where its stream stood at the last
 * probe and since when (`core/liveness/stall`). In memory: after a restart a frozen stream is
 * judged again from the first probe, which errs towards "still live", never towards a false offline.
 */
export class ProgressWatch {
  readonly staleAfterMs: number;
  private readonly clock: Clock;
  private readonly progress = new Map<string, Progress>();

  constructor(settings: StallSettings) {
    this.clock = settings.clock;
    this.staleAfterMs = settings.staleAfterMs;
  }

  /** Records `mark` for a channel and says whether it has stayed the same longer than `thresholdMs`. */
  judge(channelId: string, mark: string, thresholdMs: number): ProgressVerdict {
    const verdict = judgeProgress(
      this.progress.get(channelId),
      mark,
      this.clock.now(),
      thresholdMs,
    );
    this.progress.set(channelId, verdict.progress);
    return verdict;
  }

  /** The channel is offline for another reason (or gone): its next stream starts afresh. */
  forget(channelId: string): void {
    this.progress.delete(channelId);
  }
}

/** Default `poll.staleAfter`. */
export const DEFAULT_STALE_AFTER_MS = 30_000;
