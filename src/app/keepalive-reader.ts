import type { Readable } from 'node:stream';
import { parsePlaylist } from '../core/hls/playlist.js';
import { parseMediaPlaylist, type Segment } from '../core/recording/media-playlist.js';
import { reloadDelayMs } from '../core/recording/tracker.js';
import type { Instant } from '../core/time.js';
import type { Cancel, Clock, Timers } from '../ports/clock.js';
import type { Playback, ProxyReply } from './playback/playback.js';

/**
 * How a keepalive reads its channel: `playlist` reloads the media playlist at a player's
 * cadence (enough for an origin that starts and stays up on playlist requests); `full` also
 * fetches every new segment, as a player that plays would.
 */
export type KeepaliveMode = 'playlist' | 'full';

/** What a keepalive has read so far in this process (`GET /api/v1/keepalives/:id`). */
export interface ReadStats {
  /** The last answer that carried media or a playlist. */
  readonly lastReadAt: Instant | null;
  /** Bytes of playlists, segments and FLV read. */
  readonly bytes: number;
  /** Requests answered with content. */
  readonly reads: number;
  /** Why the last read failed, until a read succeeds again. */
  readonly lastError: string | null;
  readonly lastErrorAt: Instant | null;
}

export interface KeepaliveReaderDeps {
  /** The proxy's own path, in process: the same tokens, shared playlists, cache and refresh as a viewer's. */
  readonly player: Pick<Playback, 'start' | 'serve'>;
  readonly clock: Clock;
  readonly timers: Timers;
  /** First wait after a failed session; doubles up to `retryMaxMs`. */
  readonly retryMs: number;
  readonly retryMaxMs: number;
}

/** Proxy URIs in rewritten playlists are relative to the proxy directory; only the token matters. */
const PROXY_BASE = 'http://onair.invalid/api/v1/proxy/';

/**
 * A keepalive as a synthetic player: it starts a playback session for its keepalive (which
 * acquires no viewer: the keepalive holds its own reader), reads the multivariant playlist
 * once, then follows the first variant's media playlist with RFC 8216 reload timing — a target
 * duration after a changed reload, half of one after an unchanged one, as hls.js does — and in
 * `full` mode fetches each new segment (the live edge first, like a player joining). An FLV
 * channel's stream is read as it flows. Failures are recorded, and the session starts over
 * after a backoff; nothing here throws.
 */
export class KeepaliveReader {
  private readonly deps: KeepaliveReaderDeps;
  private readonly channelId: string;
  private readonly keepaliveId: string;
  private readonly mode: KeepaliveMode;
  private readonly abort = new AbortController();
  private running: Promise<void> | null = null;
  private current: ReadStats = {
    lastReadAt: null,
    bytes: 0,
    reads: 0,
    lastError: null,
    lastErrorAt: null,
  };

  constructor(
    deps: KeepaliveReaderDeps,
    channelId: string,
    keepaliveId: string,
    mode: KeepaliveMode,
  ) {
    this.deps = deps;
    this.channelId = channelId;
    this.keepaliveId = keepaliveId;
    this.mode = mode;
  }

  start(): void {
    this.running ??= this.run().catch((err: unknown) => {
      // Every expected failure is a value; this is a bug, kept as the last error rather than a crash.
      this.fail(`keepalive reader failed unexpectedly: ${String(err)}`);
    });
  }

  /** Stops reading; resolves once no request of this reader is in flight any more. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  stats(): ReadStats {
    return this.current;
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    let failures = 0;
    while (!stopped(signal)) {
      const progressed = await this.session(signal);
      if (stopped(signal)) return;
      failures = progressed ? 0 : failures + 1;
      const wait =
        failures === 0
          ? this.deps.retryMs
          : Math.min(this.deps.retryMs * 2 ** (failures - 1), this.deps.retryMaxMs);
      await this.sleep(wait, signal);
    }
  }

  /** One playback session, until it fails or the stream ends; true if anything was read. */
  private async session(signal: AbortSignal): Promise<boolean> {
    const started = await this.deps.player.start(this.channelId, this.keepaliveId);
    if (stopped(signal)) return false;
    if (!started.ok) {
      this.fail(started.reason);
      return false;
    }
    if (started.kind === 'flv') {
      const token = tokenOf(started.flv);
      if (token === null) this.fail('no token in the proxy URL');
      return token !== null && (await this.bytes(token, null, signal));
    }
    const masterToken = tokenOf(started.master);
    if (masterToken === null) {
      this.fail('no token in the proxy URL');
      return false;
    }
    const master = await this.playlist(masterToken);
    if (master === null || stopped(signal)) return master !== null;
    const parsed = parsePlaylist(master);
    // A player picks a variant of the multivariant playlist; a media playlist is followed as is.
    const first =
      parsed.ok && parsed.playlist.kind === 'master' ? parsed.playlist.variants[0] : undefined;
    const mediaToken = first === undefined ? masterToken : tokenOf(first.uri);
    if (mediaToken === null) return true;
    await this.follow(mediaToken, signal);
    return true;
  }

  /** Reloads a media playlist until it ends, fails or the reader stops. */
  private async follow(token: string, signal: AbortSignal): Promise<void> {
    let lastMsn: number | null = null;
    let lastMap: string | null = null;
    while (!stopped(signal)) {
      const loadStart = this.deps.clock.now();
      const body = await this.playlist(token);
      if (body === null || stopped(signal)) return;
      const parsed = parseMediaPlaylist(body);
      if (!parsed.ok) {
        this.fail(`not a media playlist: ${parsed.error}`);
        return;
      }
      const playlist = parsed.playlist;
      const last = playlist.segments.at(-1);
      const changed = last !== undefined && last.msn !== lastMsn;
      if (this.mode === 'full') {
        // Joining at the live edge: the newest segment first, then each one that appears.
        const fresh: Segment[] =
          lastMsn === null
            ? last === undefined
              ? []
              : [last]
            : playlist.segments.filter((s) => s.msn > (lastMsn ?? 0));
        for (const segment of fresh) {
          if (stopped(signal)) return;
          if (segment.map !== null && segment.map.uri !== lastMap) {
            const mapToken = tokenOf(segment.map.uri);
            if (mapToken !== null) await this.bytes(mapToken, segment.map.range, signal);
            lastMap = segment.map.uri;
          }
          const segmentToken = segment.gap ? null : tokenOf(segment.uri);
          if (segmentToken !== null) await this.bytes(segmentToken, segment.range, signal);
        }
      }
      if (last !== undefined) lastMsn = last.msn;
      if (playlist.endList) return;
      const elapsed = this.deps.clock.now() - loadStart;
      await this.sleep(reloadDelayMs(changed, playlist.targetDuration, elapsed), signal);
    }
  }

  /** A playlist through the proxy; null (and the error recorded) when it did not come. */
  private async playlist(token: string): Promise<string | null> {
    const reply = await this.deps.player.serve(token, [], undefined);
    if (reply.kind === 'playlist') {
      this.read(Buffer.byteLength(reply.body));
      return reply.body;
    }
    this.failed(reply);
    return null;
  }

  /** Bytes through the proxy (a segment, an init section, or an FLV stream), read to their end. */
  private async bytes(token: string, range: string | null, signal: AbortSignal): Promise<boolean> {
    const reply = await this.deps.player.serve(
      token,
      [],
      range === null ? undefined : `bytes=${range}`,
    );
    if (reply.kind !== 'bytes' || reply.status >= 400) {
      this.failed(reply);
      return false;
    }
    return this.drain(reply.body, signal);
  }

  private async drain(body: Readable, signal: AbortSignal): Promise<boolean> {
    const hangUp = () => {
      body.destroy();
    };
    signal.addEventListener('abort', hangUp, { once: true });
    let got = false;
    try {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        got = true;
        this.read(chunk.length, false);
      }
      this.read(0);
      return true;
    } catch (err) {
      if (!stopped(signal)) this.fail(`reading failed: ${(err as Error).message}`);
      return got;
    } finally {
      signal.removeEventListener('abort', hangUp);
    }
  }

  private read(bytes: number, counts = true): void {
    this.current = {
      ...this.current,
      lastReadAt: this.deps.clock.now(),
      bytes: this.current.bytes + bytes,
      reads: this.current.reads + (counts ? 1 : 0),
      lastError: null,
      lastErrorAt: null,
    };
  }

  private failed(reply: ProxyReply): void {
    if (reply.kind === 'bytes') {
      reply.body.on('error', () => undefined);
      reply.body.destroy();
      this.fail(`upstream answered ${reply.status}`);
    } else if (reply.kind === 'error') {
      this.fail(`${reply.status}: ${reply.message}`);
    } else {
      this.fail('a playlist where media was expected');
    }
  }

  private fail(reason: string): void {
    this.current = { ...this.current, lastError: reason, lastErrorAt: this.deps.clock.now() };
  }

  private sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (stopped(signal)) {
        resolve();
        return;
      }
      let cancel: Cancel = () => undefined;
      const wake = () => {
        cancel();
        signal.removeEventListener('abort', wake);
        resolve();
      };
      cancel = this.deps.timers.after(ms, wake);
      signal.addEventListener('abort', wake, { once: true });
    });
  }
}

/** A call, not a property read: the signal changes while the loops await. */
function stopped(signal: AbortSignal): boolean {
  return signal.aborted;
}

/** The sealed token of a proxy URI (absolute or relative), or null when it has none. */
function tokenOf(uri: string): string | null {
  try {
    return new URL(uri, PROXY_BASE).searchParams.get('t');
  } catch {
    return null;
  }
}
