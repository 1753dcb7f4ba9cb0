import { parsePlaylist } from '../../core/hls/playlist.js';
import type { Clock } from '../../ports/clock.js';
import type { FetchScope, Upstream, UpstreamText } from './ports.js';

interface Cached {
  readonly result: Promise<UpstreamText>;
  /** Until when a settled result may be reused; Infinity while in flight. */
  until: number;
}

export interface SharedPlaylistsOptions {
  readonly upstream: Upstream;
  readonly clock: Clock;
  /** Share of a target duration a playlist is reused for (e.g. 0.5). */
  readonly fraction: number;
  /** Reuse of a multivariant playlist (which has no target duration), in ms. */
  readonly multivariantMs: number;
  readonly timeoutMs: number;
}

/**
 * Playlist fetches shared by every viewer and recorder of a stream: one request in flight per
 * URL (single flight), and a successful answer reused for part of its target duration, so the
 * origin's load does not grow with the number of viewers. The key is the full upstream URL —
 * LL-HLS blocking requests carry their `_HLS_*` directives in it, so different directive values
 * never share an answer. Failures and non-200 answers are shared while in flight only. With a
 * scope the key holds the channel too: what one channel's origin may reach, another's may not.
 */
export class SharedPlaylists {
  private readonly options: SharedPlaylistsOptions;
  private readonly cache = new Map<string, Cached>();

  constructor(options: SharedPlaylistsOptions) {
    this.options = options;
  }

  get(url: string, scope?: FetchScope): Promise<UpstreamText> {
    const key = scope === undefined ? url : `${scope.channel}\n${url}`;
    const now = this.options.clock.now();
    const hit = this.cache.get(key);
    if (hit && hit.until > now) return hit.result;
    this.sweep(now);
    const entry: Cached = {
      result: this.options.upstream.text(url, AbortSignal.timeout(this.options.timeoutMs), scope),
      until: Number.POSITIVE_INFINITY,
    };
    this.cache.set(key, entry);
    void entry.result.then((res) => {
      if (this.cache.get(key) !== entry) return;
      const ttl = res.ok && res.status === 200 ? this.ttlOf(res.body) : 0;
      if (ttl <= 0) this.cache.delete(key);
      else entry.until = this.options.clock.now() + ttl;
    });
    return entry.result;
  }

  /** Entries held now (for tests and metrics). */
  size(): number {
    return this.cache.size;
  }

  private ttlOf(body: string): number {
    const parsed = parsePlaylist(body);
    if (!parsed.ok) return 0;
    if (parsed.playlist.kind === 'master') return this.options.multivariantMs;
    const target = parsed.playlist.targetDuration;
    return target === null ? 0 : target * 1_000 * this.options.fraction;
  }

  private sweep(now: number): void {
    if (this.cache.size < 256) return;
    for (const [key, entry] of this.cache) if (entry.until <= now) this.cache.delete(key);
  }
}
