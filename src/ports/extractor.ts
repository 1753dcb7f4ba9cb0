import type { MatchableSource } from '../core/match/match.js';
import type { Channel } from '../core/model.js';
import type { Instant } from '../core/time.js';

/**
 * One playable stream of a channel, as an extractor found it: `url` is an absolute http(s) URL of
 * a playlist (it may carry a token); `quality` a short label (`720p`, `best`, an HLS `NAME`);
 * `bandwidth` in bits per second.
 */
export interface StreamSource extends MatchableSource {
  /** When the URL's token stops working, if the extractor knows; otherwise onair reads it from the URL. */
  readonly expiresAt?: Instant | undefined;
  /**
   * What the URL serves: an HLS playlist (the default) or an endless HTTP-FLV stream. When
   * absent, a path ending in `.flv` means FLV.
   */
  readonly format?: 'hls' | 'flv' | undefined;
}

export interface Resolution {
  /** Best first. Never empty. */
  readonly sources: readonly StreamSource[];
  /**
   * The upstream multivariant playlist the sources came from, if there is one; the proxy then
   * serves it (rewritten) so alternate audio, subtitles and codecs reach the player unchanged.
   */
  readonly master?: string | undefined;
}

export type ResolveResult =
  | ({ readonly ok: true } & Resolution)
  | {
      readonly ok: false;
      /** Human-readable, with no secrets. */
      readonly reason: string;
      /** Trying again later may help (timeout, 5xx) — as opposed to "no such channel". */
      readonly retryable: boolean;
      /**
       * The channel is simply not live now (as opposed to an error). Only this counts as offline
       * for the platforms whose liveness is "the extractor finds a stream" (streamlink, plugin).
       */
      readonly offline?: boolean;
    };

/**
 * Finds the playable stream URLs of a channel. `resolve` never throws for expected failures
 * (offline, HTTP errors, garbage): it returns `{ ok: false, reason }`. It is called again whenever
 * the URLs are about to expire, so it must return fresh URLs each time.
 */
export interface Extractor {
  /** Name used in config (`extractors[].use`) and by default the channel platform it serves. */
  readonly id: string;
  resolve(channel: Channel, signal: AbortSignal): Promise<ResolveResult>;
}
