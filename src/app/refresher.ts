import { matchSource } from '../core/match/match.js';
import type { Channel } from '../core/model.js';
import { redactStreamUrl } from '../core/tokens/redact-path.js';
import type { Instant } from '../core/time.js';
import { parseExpiry, refreshAt } from '../core/tokens/expiry.js';
import type { Cancel, Clock, Timers } from '../ports/clock.js';
import type { Extractor, StreamSource } from '../ports/extractor.js';
import type { Logger } from '../ports/logger.js';

/** A channel's streams as last resolved. `generation` grows by one with every successful resolve. */
export interface Streams {
  readonly generation: number;
  readonly sources: readonly StreamSource[];
  readonly master: string | null;
  /** The earliest token expiry among the URLs, if known. */
  readonly expiresAt: Instant | null;
  readonly resolvedAt: Instant;
}

/** A failure says whether trying again may help (an origin error) or the stream is not there (not live, no such stream). */
export type StreamsResult =
  | { readonly ok: true; readonly streams: Streams }
  | { readonly ok: false; readonly reason: string; readonly retryable: boolean };

/** What `GET /api/v1/streams/active` shows of a channel (URLs are the caller's to redact). */
export interface StreamStatus {
  readonly channelId: string;
  readonly original: Streams | null;
  readonly current: Streams | null;
  readonly refreshCount: number;
  readonly lastRefreshAt: Instant | null;
  readonly lastError: string | null;
  readonly nextRefreshAt: Instant | null;
}

export interface RefresherOptions {
  readonly clock: Clock;
  readonly timers: Timers;
  readonly logger: Logger;
  /** Refresh period of a channel whose URLs carry no readable expiry. */
  readonly intervalMs: number;
  /** First retry delay after a failed resolve; doubles up to `intervalMs`. */
  readonly retryMs: number;
  /** Longest a resolve may take. */
  readonly timeoutMs: number;
  readonly channel: (id: string) => Promise<Channel | undefined>;
  /** The extractor of a channel, or why there is none. */
  readonly extractorFor: (channel: Channel) => Extractor | string;
}

interface Entry {
  original: Streams | null;
  current: Streams | null;
  refreshCount: number;
  lastRefreshAt: Instant | null;
  lastError: string | null;
  failures: number;
  nextRefreshAt: Instant | null;
  timer: Cancel | null;
  inflight: Promise<StreamsResult> | null;
  abort: AbortController | null;
}

/**
 * Keeps the playable URLs of active channels fresh: resolves a channel when it turns active,
 * again shortly before its token expires (read from the extractor or the URL), every
 * `intervalMs` when no expiry is known, and at once when the proxy reports a 403/410. At most
 * one resolve per channel is in flight; callers that ask meanwhile share it. An inactive
 * channel keeps nothing.
 */
export class Refresher {
  private readonly options: RefresherOptions;
  private readonly entries = new Map<string, Entry>();

  constructor(options: RefresherOptions) {
    this.options = options;
  }

  /** The channel turned active (a reader came): resolve it now and keep it fresh. */
  activate(channelId: string): void {
    if (this.entries.has(channelId)) return;
    this.entries.set(channelId, this.blank());
    void this.refresh(channelId, 'activated');
  }

  /** The channel turned inactive: stop refreshing and forget it. */
  deactivate(channelId: string): void {
    const entry = this.entries.get(channelId);
    if (!entry) return;
    entry.timer?.();
    entry.abort?.abort();
    this.entries.delete(channelId);
  }

  /** The channel's current streams, resolving them first if there are none yet. */
  async current(channelId: string): Promise<StreamsResult> {
    const entry = this.entries.get(channelId);
    if (entry?.current) return { ok: true, streams: entry.current };
    if (entry?.inflight) return entry.inflight;
    return this.refresh(channelId, 'requested');
  }

  /**
   * The upstream refused a URL of generation `seen` (403/410): resolve again, unless a newer
   * generation exists already (another request refreshed meanwhile) — then that one is returned.
   */
  async refreshAfterRefusal(channelId: string, seen: number): Promise<StreamsResult> {
    const entry = this.entries.get(channelId);
    if (entry?.current && entry.current.generation > seen)
      return { ok: true, streams: entry.current };
    if (entry?.inflight) return entry.inflight;
    return this.refresh(channelId, 'refused');
  }

  status(): StreamStatus[] {
    return [...this.entries].map(([channelId, e]) => ({
      channelId,
      original: e.original,
      current: e.current,
      refreshCount: e.refreshCount,
      lastRefreshAt: e.lastRefreshAt,
      lastError: e.lastError,
      nextRefreshAt: e.nextRefreshAt,
    }));
  }

  stop(): void {
    for (const id of [...this.entries.keys()]) this.deactivate(id);
  }

  private blank(): Entry {
    return {
      original: null,
      current: null,
      refreshCount: 0,
      lastRefreshAt: null,
      lastError: null,
      failures: 0,
      nextRefreshAt: null,
      timer: null,
      inflight: null,
      abort: null,
    };
  }

  private refresh(channelId: string, why: string): Promise<StreamsResult> {
    let entry = this.entries.get(channelId);
    if (!entry) {
      // Not active (a request arrived before its reader was registered): resolve once, keep nothing.
      entry = this.blank();
      return this.run(channelId, entry, why, false);
    }
    entry.inflight ??= this.run(channelId, entry, why, true).finally(() => {
      entry.inflight = null;
    });
    return entry.inflight;
  }

  private async run(
    channelId: string,
    entry: Entry,
    why: string,
    tracked: boolean,
  ): Promise<StreamsResult> {
    entry.timer?.();
    entry.timer = null;
    const abort = new AbortController();
    entry.abort = abort;
    const result = await this.resolve(
      channelId,
      AbortSignal.any([abort.signal, AbortSignal.timeout(this.options.timeoutMs)]),
    );
    if (abort.signal.aborted || (tracked && this.entries.get(channelId) !== entry)) {
      return result;
    }
    entry.abort = null;
    const now = this.options.clock.now();
    let delay: number;
    if (result.ok) {
      const streams: Streams = {
        ...result.streams,
        generation: (entry.current?.generation ?? 0) + 1,
      };
      entry.original ??= streams;
      if (entry.current) entry.refreshCount++;
      entry.current = streams;
      entry.lastRefreshAt = now;
      entry.failures = 0;
      delay =
        streams.expiresAt === null
          ? this.options.intervalMs
          : refreshAt(streams.expiresAt, now) - now;
      this.options.logger.info(
        {
          channel: channelId,
          why,
          generation: streams.generation,
          url: redactStreamUrl(streams.master ?? streams.sources[0]!.url),
          expiresAt: streams.expiresAt,
        },
        'stream URLs resolved',
      );
    } else {
      entry.lastError = result.reason;
      entry.failures++;
      delay = Math.min(this.options.intervalMs, this.options.retryMs * 2 ** (entry.failures - 1));
      this.options.logger.warn(
        { channel: channelId, why, error: result.reason },
        'stream URLs could not be resolved',
      );
    }
    if (tracked) {
      // Never sooner than a second: a token that is already expired must not spin the loop.
      delay = Math.max(1_000, delay);
      entry.nextRefreshAt = now + delay;
      entry.timer = this.options.timers.after(delay, () => {
        entry.timer = null;
        void this.refresh(channelId, 'scheduled');
      });
    }
    if (!result.ok) return result;
    return { ok: true, streams: entry.current! };
  }

  private async resolve(channelId: string, signal: AbortSignal): Promise<StreamsResult> {
    const channel = await this.options.channel(channelId);
    if (!channel) return { ok: false, reason: `no channel "${channelId}"`, retryable: false };
    const extractor = this.options.extractorFor(channel);
    if (typeof extractor === 'string') return { ok: false, reason: extractor, retryable: false };
    let result;
    try {
      result = await extractor.resolve(channel, signal);
    } catch (error) {
      // Extractors return failures as values; a throw is a bug, but one channel must not take the loop down.
      this.options.logger.error({ channel: channelId, err: error }, 'extractor threw');
      return {
        ok: false,
        reason: `extractor ${extractor.id} failed unexpectedly`,
        retryable: true,
      };
    }
    if (!result.ok) return { ok: false, reason: result.reason, retryable: result.retryable };
    if (result.sources.length === 0)
      return { ok: false, reason: `extractor ${extractor.id} found no stream`, retryable: false };
    const now = this.options.clock.now();
    const sources = result.sources.map((s) =>
      s.expiresAt !== undefined ? s : { ...s, expiresAt: parseExpiry(s.url, now)?.at },
    );
    const expiries = sources.map((s) => s.expiresAt).filter((t): t is number => t !== undefined);
    if (result.master !== undefined) {
      const masterExpiry = parseExpiry(result.master, now);
      if (masterExpiry) expiries.push(masterExpiry.at);
    }
    return {
      ok: true,
      streams: {
        generation: 0,
        sources,
        master: result.master ?? null,
        expiresAt: expiries.length > 0 ? Math.min(...expiries) : null,
        resolvedAt: now,
      },
    };
  }
}

/** The current source for one that a reader was using (PROTOCOLS-independent matching rules in core/match). */
export function currentSource(previous: StreamSource, streams: Streams): StreamSource | null {
  const match = matchSource(previous, streams.sources);
  return match ? streams.sources[match.index]! : null;
}
