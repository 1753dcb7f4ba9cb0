import type { Channel, Observation } from '../core/model.js';

/** What the poll loop knows that lets an adapter skip work (e.g. Owncast's /api/config). */
export interface ProbeHint {
  /** The channel was live at the previous successful probe. */
  readonly wasLive: boolean;
}

/**
 * A live platform. `probe` never throws for expected failures (timeouts, HTTP errors, garbage):
 * it returns `{ kind: 'failed' }`, which never counts as offline.
 */
export interface PlatformAdapter {
  /** The `platform` value in config, e.g. `owncast`. */
  readonly id: string;
  /** Checks a channel URL at config or API time; returns a problem or null. */
  validateUrl(url: string): string | null;
  /** Whether this adapter recognises a pasted URL (platform detection). */
  recognises(url: URL): boolean;
  probe(channel: Channel, hint: ProbeHint, signal: AbortSignal): Promise<Observation>;
  /**
   * Probes several channels of this platform in one go (e.g. Twitch Helix: 100 logins per call).
   * Returns an observation per channel id; a missing one counts as a failed probe. Optional: the
   * poll loop batches only platforms that have it, at most `maxBatch` channels per call.
   */
  probeBatch?(
    channels: readonly Channel[],
    signal: AbortSignal,
  ): Promise<ReadonlyMap<string, Observation>>;
  readonly maxBatch?: number;
}
