import { Readable } from 'node:stream';
import type {
  FetchScope,
  Upstream,
  UpstreamBytes,
  UpstreamText,
} from '../../app/playback/ports.js';
import type { Clock } from '../../ports/clock.js';

export interface SegmentCacheOptions {
  readonly clock: Clock;
  /** Bytes held for all channels together; least recently used finished segments go first. */
  readonly maxBytes: number;
  /** Bytes held for one channel; 0 turns caching off for every channel. */
  readonly perChannelMaxBytes: number;
}

/** Upstream headers a cached answer keeps (the proxy route chooses the content type itself). */
const KEPT_HEADERS = ['last-modified', 'etag', 'cache-control'] as const;
/** How often expired entries are swept, at most. */
const SWEEP_MS = 1_000;

type Ready =
  | { readonly kind: 'bytes'; readonly status: number; readonly headers: Record<string, string> }
  /** Not worth sharing (an error status, or larger than a channel may hold): fetch per reader. */
  | { readonly kind: 'own'; readonly first: UpstreamBytes }
  | { readonly kind: 'failed'; readonly reason: string };

/** One upstream answer being received or received: the bytes so far and who waits for more. */
class Entry {
  readonly chunks: Buffer[] = [];
  /** The whole body once received (readers switch to it; `chunks` is then dropped). */
  body: Buffer | null = null;
  received = 0;
  /** Bytes counted against the budgets (only while indexed). */
  charged = 0;
  /** Body length, from `content-length` or once complete. */
  total: number | null = null;
  done = false;
  error: Error | null = null;
  /** Still findable in the cache (false once evicted, expired or failed). */
  indexed = true;
  readonly wake = new Set<() => void>();
  readonly ready: Promise<Ready>;
  resolveReady!: (ready: Ready) => void;
  /** Readers own `own` answers; the first reader takes the fetch already made. */
  ownTaken = false;

  readonly key: string;
  readonly channel: string;
  readonly expiresAt: number;

  constructor(key: string, channel: string, expiresAt: number) {
    this.key = key;
    this.channel = channel;
    this.expiresAt = expiresAt;
    this.ready = new Promise((resolve) => {
      this.resolveReady = resolve;
    });
  }

  notify(): void {
    for (const wake of [...this.wake]) wake();
  }
}

/**
 * A segment cache in memory, shared by every reader of a channel — viewers through the proxy,
 * keepalives, recorders — whatever connection pool they use (`over` wraps each pool). One
 * upstream fetch per segment (single flight): readers arriving while the fetch runs stream from
 * the bytes already received and then from each new chunk; range requests are served from the
 * whole segment when it is (being) cached, and otherwise shared per range. Bounded by
 * `maxBytes` and `perChannelMaxBytes` (least recently used finished segments out), and an
 * entry lives at most `scope.cacheMs` (the playlist window). Fetches without `cacheMs` pass
 * through untouched: playlists, HTTP-FLV, anything not a segment.
 */
export class SegmentCache {
  private readonly o: SegmentCacheOptions;
  /** Key → entry, in least-recently-used order (a hit moves an entry to the end). */
  private readonly entries = new Map<string, Entry>();
  private readonly channelBytes = new Map<string, number>();
  private bytes = 0;
  private nextSweep = 0;
  /** Upstream fetches made for cached reads (for tests and the benchmark). */
  fetches = 0;

  constructor(options: SegmentCacheOptions) {
    this.o = options;
  }

  /** `inner` with cacheable reads served from this cache. */
  over(inner: Upstream): Upstream {
    return {
      text: (url: string, signal: AbortSignal, scope?: FetchScope): Promise<UpstreamText> =>
        inner.text(url, signal, scope),
      open: (url, options) => this.open(inner, url, options),
    };
  }

  /** Bytes held now. */
  size(): number {
    return this.bytes;
  }

  private async open(
    inner: Upstream,
    url: string,
    options: {
      readonly range?: string | undefined;
      readonly signal?: AbortSignal | undefined;
      readonly scope?: FetchScope | undefined;
    },
  ): Promise<UpstreamBytes> {
    const scope = options.scope;
    const cacheMs = scope?.cacheMs ?? 0;
    if (
      scope === undefined ||
      cacheMs <= 0 ||
      this.o.perChannelMaxBytes <= 0 ||
      this.o.maxBytes <= 0
    )
      return inner.open(url, options);
    const now = this.o.clock.now();
    const range = options.range === undefined ? null : parseRange(options.range);
    if (options.range !== undefined && range === null) return inner.open(url, options);
    if (range !== null) {
      const whole = this.find(url, now);
      if (whole !== undefined) return this.serve(whole, range, options.signal, inner, url, options);
    }
    const key = range === null ? url : `${url}\n${options.range}`;
    let entry = this.find(key, now);
    if (entry === undefined) {
      entry = new Entry(key, scope.channel, now + cacheMs);
      this.entries.set(key, entry);
      this.sweep(now);
      this.fetch(entry, inner, url, options.range, scope);
    }
    // A range request that has its own entry reads that entry whole.
    return this.serve(entry, null, options.signal, inner, url, options);
  }

  private find(key: string, now: number): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= now) {
      this.drop(entry);
      return undefined;
    }
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry;
  }

  /** Starts the one upstream fetch of an entry; never rejects. */
  private fetch(
    entry: Entry,
    inner: Upstream,
    url: string,
    range: string | undefined,
    scope: FetchScope,
  ): void {
    this.fetches++;
    // No reader's signal: the fetch serves every reader; undici's own timeouts bound it.
    inner.open(url, { range, scope }).then(
      (res) => {
        this.received(entry, res);
      },
      (error: unknown) => {
        this.fail(entry, error instanceof Error ? error : new Error(String(error)));
        entry.resolveReady({ kind: 'failed', reason: 'upstream network error' });
      },
    );
  }

  private received(entry: Entry, res: UpstreamBytes): void {
    if (!res.ok) {
      this.drop(entry);
      entry.resolveReady({ kind: 'failed', reason: res.reason });
      return;
    }
    const length = Number(res.headers['content-length']);
    const limit = Math.min(this.o.perChannelMaxBytes, this.o.maxBytes);
    if ((res.status !== 200 && res.status !== 206) || (Number.isFinite(length) && length > limit)) {
      // Refusals, errors and oversized segments are not shared: each reader fetches its own.
      this.drop(entry);
      entry.resolveReady({ kind: 'own', first: res });
      return;
    }
    if (Number.isFinite(length) && length >= 0) entry.total = length;
    const headers: Record<string, string> = {};
    for (const name of KEPT_HEADERS) {
      const value = res.headers[name];
      if (value !== undefined) headers[name] = value;
    }
    if (res.status === 206 && res.headers['content-range'] !== undefined)
      headers['content-range'] = res.headers['content-range'];
    entry.resolveReady({ kind: 'bytes', status: res.status, headers });
    const body = res.body;
    body.on('data', (chunk: Buffer) => {
      entry.chunks.push(chunk);
      entry.received += chunk.length;
      this.charge(entry, chunk.length);
      if (entry.received > limit) {
        // A segment without a length that outgrows what a channel may hold: stop, not swell.
        body.destroy();
        this.fail(entry, new Error('segment larger than the cache allows'));
        return;
      }
      this.evict(entry);
      entry.notify();
    });
    body.once('end', () => {
      entry.body = entry.chunks.length === 1 ? entry.chunks[0]! : Buffer.concat(entry.chunks);
      entry.chunks.length = 0;
      entry.total = entry.body.length;
      entry.done = true;
      entry.notify();
    });
    body.once('error', (error) => {
      this.fail(entry, error);
    });
  }

  private fail(entry: Entry, error: Error): void {
    if (entry.done || entry.error !== null) return;
    entry.error = error;
    this.drop(entry);
    entry.notify();
  }

  /** Serves an entry (or a byte range of it) to one reader. */
  private async serve(
    entry: Entry,
    range: ByteRange | null,
    signal: AbortSignal | undefined,
    inner: Upstream,
    url: string,
    options: Parameters<Upstream['open']>[1],
  ): Promise<UpstreamBytes> {
    const ready = await entry.ready;
    if (ready.kind === 'failed') return { ok: false, reason: ready.reason };
    if (ready.kind === 'own') {
      // The reader that started the fetch takes its answer; any other fetches its own.
      if (!entry.ownTaken && range === null) {
        entry.ownTaken = true;
        return ready.first;
      }
      return inner.open(url, options);
    }
    if (signal?.aborted === true) return { ok: false, reason: 'upstream timed out or was aborted' };
    if (range === null) {
      const headers: Record<string, string> = { ...ready.headers, 'accept-ranges': 'bytes' };
      if (entry.total !== null) headers['content-length'] = String(entry.total);
      return {
        ok: true,
        status: ready.status,
        headers,
        body: this.reader(entry, 0, Number.POSITIVE_INFINITY, signal),
      };
    }
    // A range of a whole segment: its length is needed for the answer's Content-Range.
    if (entry.total === null) await this.settled(entry);
    if (entry.error !== null) return inner.open(url, options);
    const total = entry.total ?? 0;
    const resolved = resolveRange(range, total);
    if (resolved === null)
      return {
        ok: true,
        status: 416,
        headers: { 'content-range': `bytes */${total}` },
        body: Readable.from([]),
      };
    const [start, end] = resolved;
    return {
      ok: true,
      status: 206,
      headers: {
        ...ready.headers,
        'accept-ranges': 'bytes',
        'content-range': `bytes ${start}-${end - 1}/${total}`,
        'content-length': String(end - start),
      },
      body: this.reader(entry, start, end, signal),
    };
  }

  private settled(entry: Entry): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (entry.done || entry.error !== null) {
          entry.wake.delete(check);
          resolve();
        }
      };
      entry.wake.add(check);
      check();
    });
  }

  /** A stream of bytes [start, end) of an entry, as they arrive. */
  private reader(entry: Entry, start: number, end: number, signal?: AbortSignal): Readable {
    let pos = start;
    let chunk = 0;
    let chunkStart = 0;
    let waiting = false;
    const stream = new Readable({
      read: () => {
        pump();
      },
      destroy: (error, callback) => {
        entry.wake.delete(wake);
        signal?.removeEventListener('abort', onAbort);
        callback(error);
      },
    });
    const wake = () => {
      if (!waiting) return;
      waiting = false;
      entry.wake.delete(wake);
      pump();
    };
    const onAbort = () => {
      stream.destroy(new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const limit = () => Math.min(end, entry.total ?? Number.POSITIVE_INFINITY);
    const pump = (): void => {
      if (stream.destroyed) return;
      if (entry.error !== null) {
        stream.destroy(entry.error);
        return;
      }
      if (entry.body !== null) {
        const stop = Math.min(end, entry.body.length);
        if (pos < stop) stream.push(entry.body.subarray(pos, stop));
        pos = stop;
        stream.push(null);
        return;
      }
      while (chunk < entry.chunks.length) {
        const c = entry.chunks[chunk]!;
        const chunkEnd = chunkStart + c.length;
        if (chunkEnd > pos) {
          const stop = Math.min(limit(), chunkEnd);
          const piece = c.subarray(pos - chunkStart, stop - chunkStart);
          pos = stop;
          if (pos >= chunkEnd) {
            chunk++;
            chunkStart = chunkEnd;
          }
          if (pos >= limit()) {
            if (piece.length > 0) stream.push(piece);
            stream.push(null);
            return;
          }
          if (!stream.push(piece)) return;
        } else {
          chunk++;
          chunkStart = chunkEnd;
        }
      }
      if (pos >= limit()) {
        stream.push(null);
        return;
      }
      waiting = true;
      entry.wake.add(wake);
    };
    return stream;
  }

  private charge(entry: Entry, bytes: number): void {
    if (!entry.indexed) return;
    entry.charged += bytes;
    this.bytes += bytes;
    this.channelBytes.set(entry.channel, (this.channelBytes.get(entry.channel) ?? 0) + bytes);
  }

  /** Removes an entry from the index and its bytes from the budget (readers keep what they hold). */
  private drop(entry: Entry): void {
    if (!entry.indexed) return;
    entry.indexed = false;
    if (this.entries.get(entry.key) === entry) this.entries.delete(entry.key);
    const held = entry.charged;
    this.bytes -= held;
    const left = (this.channelBytes.get(entry.channel) ?? 0) - held;
    if (left > 0) this.channelBytes.set(entry.channel, left);
    else this.channelBytes.delete(entry.channel);
  }

  /** Least recently used finished entries out until both budgets hold (never `keep` itself). */
  private evict(keep: Entry): void {
    const channelOver = () =>
      (this.channelBytes.get(keep.channel) ?? 0) > this.o.perChannelMaxBytes;
    if (this.bytes <= this.o.maxBytes && !channelOver()) return;
    for (const entry of this.entries.values()) {
      const over = this.bytes > this.o.maxBytes;
      if (!over && !channelOver()) return;
      if (entry === keep || !entry.done) continue;
      if (over || entry.channel === keep.channel) this.drop(entry);
    }
  }

  private sweep(now: number): void {
    if (now < this.nextSweep) return;
    this.nextSweep = now + SWEEP_MS;
    for (const entry of this.entries.values()) if (entry.expiresAt <= now) this.drop(entry);
  }
}

/** A single byte range: `bytes=a-b`, `bytes=a-` or `bytes=-n` (suffix). */
export type ByteRange =
  { readonly start: number; readonly end: number | null } | { readonly suffix: number };

/** A `Range` header of one range, or null for anything else (several ranges, other units). */
export function parseRange(header: string): ByteRange | null {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return null;
  const [a, b] = [m[1]!, m[2]!];
  if (a === '' && b === '') return null;
  if (a === '') return { suffix: Number(b) };
  const start = Number(a);
  const end = b === '' ? null : Number(b);
  if (end !== null && end < start) return null;
  return { start, end };
}

/** [start, end) of a range within `total` bytes, or null when it cannot be satisfied. */
export function resolveRange(range: ByteRange, total: number): [number, number] | null {
  if ('suffix' in range) {
    if (range.suffix === 0 || total === 0) return null;
    return [Math.max(0, total - range.suffix), total];
  }
  if (range.start >= total) return null;
  return [range.start, Math.min(total, (range.end ?? total - 1) + 1)];
}
