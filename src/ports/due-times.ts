/** A channel in the schedule, with the platform it is probed on (batches are per platform). */
export interface DueEntry {
  readonly channelId: string;
  readonly platform: string;
}

/** A channel to make due `delayMs` from now. */
export interface DueAt extends DueEntry {
  readonly delayMs: number;
}

/**
 * When each channel is probed next: the poll scheduler's only state. Times are relative delays,
 * so the adapter keeps them on a clock no wall-clock step can move (a monotonic clock in one
 * process; the database's own clock shared by a cluster).
 *
 * A claim makes a channel due again `claimMs` later: nobody else takes it meanwhile, and if the
 * claimer dies before it reschedules the channel, the channel falls due again by itself.
 */
export interface DueTimes {
  /** Makes each channel due `delayMs` from now, replacing its due time or claim. */
  schedule(entries: readonly DueAt[]): Promise<void>;
  /** Adds the channels that have no due time yet; those that have one keep it. */
  scheduleMissing(entries: readonly DueAt[]): Promise<void>;
  /** Forgets channels (deleted). */
  remove(channelIds: readonly string[]): Promise<void>;
  /** Claims up to `limit` channels that are due now, earliest first. */
  claimDue(limit: number, claimMs: number): Promise<DueEntry[]>;
  /** Claims up to `limit` channels of `platform` due within `withinMs`, to fill a batch. */
  claimSoon(platform: string, withinMs: number, limit: number, claimMs: number): Promise<string[]>;
  /** Milliseconds until the earliest channel is due (0 when one is due now); null when none is. */
  nextDueInMs(): Promise<number | null>;
}
