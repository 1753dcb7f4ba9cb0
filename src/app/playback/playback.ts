import type { Readable } from 'node:stream';
import {
  collectUris,
  playlistVariables,
  rewritePlaylist,
  withDirectives,
  type UriRef,
} from '../../core/hls/rewrite.js';
import type { Cancel, Clock, Timers } from '../../ports/clock.js';
import type { StreamSource } from '../../ports/extractor.js';
import type { Logger } from '../../ports/logger.js';
import type { Readers } from '../readers.js';
import { currentSource, type Refresher, type Streams } from '../refresher.js';
import type { TokenSealer, Upstream } from './ports.js';
import type { SharedPlaylists } from './shared-playlists.js';
import { proxyTokenSchema, type Locator, type ProxyToken } from './tokens.js';

export interface PlaybackOptions {
  readonly clock: Clock;
  /** Keeps a viewer of an endless FLV stream alive while its one request lasts. */
  readonly timers: Timers;
  readonly logger: Logger;
  readonly readers: Readers;
  readonly refresher: Refresher;
  readonly sealer: TokenSealer;
  readonly upstream: Upstream;
  readonly playlists: SharedPlaylists;
  readonly channelExists: (id: string) => Promise<boolean>;
  readonly newViewerId: () => string;
  /** Where the proxy routes are mounted, e.g. `/api/v1/proxy`. */
  readonly basePath: string;
  /** Lifetime of a playlist URL: a player keeps its variant URLs for the whole session. */
  readonly playlistTokenMs: number;
  /** Lifetime of a segment URL: reissued with every playlist reload. */
  readonly segmentTokenMs: number;
  /**
   * How long a channel found to exist is taken to exist without asking the store again (default
   * 1 s): the proxy serves hundreds of segment requests a second, each of which would otherwise
   * be a store query. A deleted channel's proxy URLs are refused at most this long after.
   */
  readonly existsCacheMs?: number;
}

export interface PlaybackVariant {
  readonly url: string;
  readonly quality: string;
  readonly width: number | null;
  readonly height: number | null;
  readonly bandwidth: number | null;
}

export type StartResult =
  | {
      readonly ok: true;
      readonly kind: 'hls';
      readonly viewer: string;
      readonly master: string;
      readonly variants: readonly PlaybackVariant[];
    }
  /** An HTTP-FLV channel: one proxy URL streaming the FLV as it arrives. */
  | { readonly ok: true; readonly kind: 'flv'; readonly viewer: string; readonly flv: string }
  | { readonly ok: false; readonly status: 404 | 502; readonly reason: string };

/** What the proxy route sends. Errors carry no upstream URL. */
export type ProxyReply =
  | { readonly kind: 'playlist'; readonly body: string }
  | {
      readonly kind: 'bytes';
      readonly status: number;
      readonly headers: Readonly<Record<string, string>>;
      readonly body: Readable;
    }
  | { readonly kind: 'error'; readonly status: number; readonly message: string };

const REFUSED = new Set([403, 410]);
/** How often an open FLV stream renews its viewer (well inside the readers' idle limit). */
const STREAM_TOUCH_MS = 10_000;
/** Extensions a proxy URL may end in (players and browsers sniff them); anything else is `data`. */
const SAFE_EXTENSIONS = new Set([
  'ts',
  'm4s',
  'mp4',
  'm4a',
  'm4v',
  'aac',
  'mp3',
  'ac3',
  'ec3',
  'vtt',
  'webvtt',
  'key',
  'json',
  'cmfv',
  'cmfa',
  'fmp4',
]);

/**
 * Playback through onair's HLS proxy. A viewer gets proxy URLs (sealed, expiring tokens naming
 * what to fetch by meaning — see `Locator`), never an upstream URL. Each request through them
 * keeps the viewer's reader alive; playlists come from the shared upstream cache and are
 * rewritten so every URI in them is a proxy URL again; bytes stream through. A 403/410 from the
 * origin triggers one refresh for the channel and the request is retried with the fresh URL,
 * found again in the fresh playlists — the player never sees it.
 */
export class Playback {
  private readonly o: PlaybackOptions;
  /** Channel id → until when it is known to exist (positive answers only: ids come from sealed tokens). */
  private readonly known = new Map<string, number>();
  private readonly existsCacheMs: number;

  constructor(options: PlaybackOptions) {
    this.o = options;
    this.existsCacheMs = options.existsCacheMs ?? 1_000;
  }

  /**
   * Starts a playback session: the caller becomes a viewer reader; returns proxy paths. With
   * `keepalive`, the session is that keepalive's in-process read: its URLs acquire no viewer
   * (the keepalive holds its own reader) and never leave the process.
   */
  async start(channelId: string, keepalive?: string): Promise<StartResult> {
    if (!(await this.o.channelExists(channelId)))
      return { ok: false, status: 404, reason: `no channel "${channelId}"` };
    const viewer = keepalive ?? this.o.newViewerId();
    if (keepalive === undefined) this.o.readers.acquire(channelId, 'viewer', viewer);
    const current = await this.o.refresher.current(channelId);
    if (!current.ok) {
      if (keepalive === undefined) this.o.readers.release(channelId, 'viewer', viewer);
      // Nothing to play (not live, no such stream) is the caller's 404; an origin error is a 502.
      return { ok: false, status: current.retryable ? 502 : 404, reason: current.reason };
    }
    const streams = current.streams;
    const base: TokenBase = {
      c: channelId,
      v: viewer,
      g: streams.generation,
      ...(keepalive === undefined ? {} : { k: true }),
    };
    const first = streams.sources[0];
    if (first !== undefined && isFlvSource(first)) {
      // The player keeps this URL for the whole stream, like a playlist URL.
      const token = this.token(base, false, sourceLocator(first), this.o.playlistTokenMs);
      return { ok: true, kind: 'flv', viewer, flv: this.path(token, 'live.flv') };
    }
    return {
      ok: true,
      kind: 'hls',
      viewer,
      master: this.path(this.token(base, true, { t: 'master' }), 'index.m3u8'),
      variants: streams.sources.map((s) => ({
        url: this.path(this.token(base, true, sourceLocator(s)), 'index.m3u8'),
        quality: s.quality,
        width: s.width ?? null,
        height: s.height ?? null,
        bandwidth: s.bandwidth ?? null,
      })),
    };
  }

  /**
   * Serves one proxy request. A token onair did not seal, a tampered one, an expired one or one
   * for a channel that no longer exists is refused before anything is fetched.
   */
  async serve(
    token: string,
    directives: readonly (readonly [string, string])[],
    range: string | undefined,
  ): Promise<ProxyReply> {
    const parsed = proxyTokenSchema.safeParse(this.o.sealer.open(token));
    if (!parsed.success) return { kind: 'error', status: 403, message: 'invalid proxy URL' };
    const tok = parsed.data;
    if (tok.e <= this.o.clock.now())
      return { kind: 'error', status: 403, message: 'proxy URL expired' };
    if (!(await this.exists(tok.c)))
      return { kind: 'error', status: 403, message: 'proxy URL for an unknown channel' };
    if (tok.k !== true) this.o.readers.acquire(tok.c, 'viewer', tok.v);
    const current = await this.o.refresher.current(tok.c);
    if (!current.ok) return { kind: 'error', status: 502, message: 'stream unavailable' };
    if (tok.pl) return this.playlist(tok, current.streams, directives);
    // Only an FLV source is signed as bytes: HLS sources are playlists.
    if (tok.l.t === 'source') return this.stream(tok, current.streams);
    return this.bytes(tok, current.streams, range);
  }

  /** `channelExists`, with positive answers reused for `existsCacheMs`. */
  private async exists(channelId: string): Promise<boolean> {
    const now = this.o.clock.now();
    const until = this.known.get(channelId);
    if (until !== undefined && until > now) return true;
    if (!(await this.o.channelExists(channelId))) {
      this.known.delete(channelId);
      return false;
    }
    this.known.set(channelId, now + this.existsCacheMs);
    return true;
  }

  private async playlist(
    tok: ProxyToken,
    streams: Streams,
    directives: readonly (readonly [string, string])[],
  ): Promise<ProxyReply> {
    if (tok.l.t === 'master' && streams.master === null)
      return { kind: 'playlist', body: this.writtenMaster(tok, streams) };
    // The player keeps a playlist URL for its whole session: always fetch the current one.
    let url = await this.locate(tok.l, streams, tok.g !== streams.generation);
    if (url === null) return { kind: 'error', status: 404, message: 'stream no longer offered' };
    let res = await this.o.playlists.get(withDirectives(url, directives));
    if (res.ok && REFUSED.has(res.status)) {
      const refreshed = await this.o.refresher.refreshAfterRefusal(tok.c, streams.generation);
      if (!refreshed.ok) return { kind: 'error', status: 502, message: 'stream unavailable' };
      streams = refreshed.streams;
      url = await this.locate(tok.l, streams, true);
      if (url === null) return { kind: 'error', status: 404, message: 'stream no longer offered' };
      res = await this.o.playlists.get(withDirectives(url, directives));
    }
    if (!res.ok) return { kind: 'error', status: 502, message: 'upstream unreachable' };
    if (res.status !== 200)
      return {
        kind: 'error',
        status: res.status === 404 || res.status === 410 ? 404 : 502,
        message: `upstream answered ${res.status}`,
      };
    const imports = res.body.includes('IMPORT=')
      ? await this.importsFor(tok.l, streams)
      : undefined;
    const parent = withUrl(tok.l, url);
    const base = baseOf(tok, streams.generation);
    const body = rewritePlaylist(
      res.body,
      res.url,
      (ref) =>
        `${nameOf(ref)}?t=${this.token(base, ref.playlist, { t: 'child', u: ref.url, i: ref.ident, p: parent })}`,
      imports ? { imports } : {},
    );
    return { kind: 'playlist', body };
  }

  private async bytes(
    tok: ProxyToken,
    streams: Streams,
    range: string | undefined,
  ): Promise<ProxyReply> {
    // A segment URL is used as signed while it works (old tokens overlap new ones); only a
    // refusal makes it worth finding the segment again in a freshly resolved playlist.
    const url = await this.locate(tok.l, streams, false);
    if (url === null) return { kind: 'error', status: 404, message: 'not found' };
    let res = await this.o.upstream.open(url, { range });
    if (res.ok && REFUSED.has(res.status)) {
      discard(res.body);
      const refreshed = await this.o.refresher.refreshAfterRefusal(tok.c, tok.g);
      if (!refreshed.ok) return { kind: 'error', status: 502, message: 'stream unavailable' };
      const again = await this.locate(tok.l, refreshed.streams, true);
      if (again === null) return { kind: 'error', status: 404, message: 'not found' };
      this.o.logger.debug(
        { channel: tok.c, ident: tok.l.t === 'child' ? tok.l.i : tok.l.t },
        'refetching a refused segment with a fresh token',
      );
      res = await this.o.upstream.open(again, { range });
    }
    if (!res.ok) return { kind: 'error', status: 502, message: 'upstream unreachable' };
    return { kind: 'bytes', status: res.status, headers: res.headers, body: res.body };
  }

  /**
   * An HTTP-FLV source, streamed as it arrives for as long as the player reads (never cached:
   * it does not end). A refusal re-resolves once, as for segments. The viewer stays a reader
   * while the one request lasts and leaves when it closes.
   */
  private async stream(tok: ProxyToken, streams: Streams): Promise<ProxyReply> {
    let url = await this.locate(tok.l, streams, false);
    if (url === null) return { kind: 'error', status: 404, message: 'stream no longer offered' };
    let res = await this.o.upstream.open(url, {});
    if (res.ok && REFUSED.has(res.status)) {
      discard(res.body);
      const refreshed = await this.o.refresher.refreshAfterRefusal(tok.c, streams.generation);
      if (!refreshed.ok) return { kind: 'error', status: 502, message: 'stream unavailable' };
      url = await this.locate(tok.l, refreshed.streams, true);
      if (url === null) return { kind: 'error', status: 404, message: 'stream no longer offered' };
      res = await this.o.upstream.open(url, {});
    }
    if (!res.ok) return { kind: 'error', status: 502, message: 'upstream unreachable' };
    if (res.status !== 200) {
      discard(res.body);
      return {
        kind: 'error',
        status: res.status === 404 || res.status === 410 ? 404 : 502,
        message: `upstream answered ${res.status}`,
      };
    }
    if (tok.k !== true) this.holdWhileOpen(tok, res.body);
    return {
      kind: 'bytes',
      status: 200,
      // onair's own type, not the origin's: the bytes are served from onair's origin.
      headers: { 'content-type': 'video/x-flv', 'cache-control': 'no-store' },
      body: res.body,
    };
  }

  /** Renews the viewer while `body` is open (one request may last hours); releases it at close. */
  private holdWhileOpen(tok: ProxyToken, body: Readable): void {
    let cancel: Cancel;
    const touch = () => {
      this.o.readers.acquire(tok.c, 'viewer', tok.v);
      cancel = this.o.timers.after(STREAM_TOUCH_MS, touch);
    };
    cancel = this.o.timers.after(STREAM_TOUCH_MS, touch);
    body.once('close', () => {
      cancel();
      this.o.readers.release(tok.c, 'viewer', tok.v);
    });
  }

  /**
   * The upstream URL of a locator. `rederive` false: the URL as signed. True: found again from
   * the current streams — a source by the matcher, a child by its ident in its parent's
   * current playlist (falling back to the signed URL when it is not there any more).
   */
  private async locate(loc: Locator, streams: Streams, rederive: boolean): Promise<string | null> {
    switch (loc.t) {
      case 'master':
        return streams.master;
      case 'source':
        return currentSource(fromLocator(loc), streams)?.url ?? null;
      case 'child': {
        if (!rederive) return loc.u;
        const parentUrl = await this.locate(loc.p, streams, true);
        if (parentUrl === null) return loc.u;
        const parent = await this.o.playlists.get(parentUrl);
        if (!parent.ok || parent.status !== 200) return loc.u;
        return collectUris(parent.body, parent.url).find((r) => r.ident === loc.i)?.url ?? loc.u;
      }
    }
  }

  /** The multivariant playlist's variables, for a media playlist that imports them. */
  private async importsFor(
    loc: Locator,
    streams: Streams,
  ): Promise<Map<string, string> | undefined> {
    const masterUrl = loc.t === 'child' && loc.p.t === 'master' ? streams.master : null;
    if (masterUrl === null) return undefined;
    const master = await this.o.playlists.get(masterUrl);
    return master.ok && master.status === 200
      ? playlistVariables(master.body, master.url)
      : undefined;
  }

  /** Without an upstream multivariant playlist, onair writes one listing the sources. */
  private writtenMaster(tok: ProxyToken, streams: Streams): string {
    const base = baseOf(tok, streams.generation);
    const lines = ['#EXTM3U'];
    streams.sources.forEach((s, i) => {
      const attrs = [`BANDWIDTH=${s.bandwidth ?? (streams.sources.length - i) * 1_000_000}`];
      if (s.width !== undefined && s.height !== undefined)
        attrs.push(`RESOLUTION=${s.width}x${s.height}`);
      attrs.push(`NAME="${s.quality.replace(/"/g, "'")}"`);
      lines.push(
        `#EXT-X-STREAM-INF:${attrs.join(',')}`,
        `index.m3u8?t=${this.token(base, true, sourceLocator(s))}`,
      );
    });
    return `${lines.join('\n')}\n`;
  }

  private token(
    base: TokenBase,
    playlist: boolean,
    l: Locator,
    lifetimeMs = playlist ? this.o.playlistTokenMs : this.o.segmentTokenMs,
  ): string {
    const e = this.o.clock.now() + lifetimeMs;
    const payload: ProxyToken = { ...base, e, pl: playlist, l };
    return this.o.sealer.seal(payload);
  }

  /**
   * The token rides in the query (it is longer than a path parameter may be); every proxy URL
   * shares one directory, so the URIs in rewritten playlists are just `<name>?t=<token>`.
   */
  private path(token: string, name: string): string {
    return `${this.o.basePath}/${name}?t=${token}`;
  }
}

/** What every token of one session shares. */
type TokenBase = Pick<ProxyToken, 'c' | 'v' | 'g' | 'k'>;

/** The session part of `tok`, at stream generation `g`. */
function baseOf(tok: ProxyToken, g: number): TokenBase {
  return { c: tok.c, v: tok.v, g, ...(tok.k === true ? { k: true } : {}) };
}

/** An HTTP-FLV source: said so by its extractor, or a path ending in `.flv`. */
export function isFlvSource(source: Pick<StreamSource, 'url' | 'format'>): boolean {
  if (source.format !== undefined) return source.format === 'flv';
  try {
    return new URL(source.url).pathname.toLowerCase().endsWith('.flv');
  } catch {
    return false;
  }
}

/** Drops a response body we will not forward (a refusal's few bytes). */
function discard(body: Readable): void {
  body.on('error', () => undefined);
  body.destroy();
}

function sourceLocator(s: StreamSource): Locator {
  return {
    t: 'source',
    u: s.url,
    q: s.quality,
    ti: s.title,
    w: s.width,
    h: s.height,
    b: s.bandwidth,
  };
}

function fromLocator(loc: Extract<Locator, { t: 'source' }>): StreamSource {
  return {
    url: loc.u,
    quality: loc.q,
    title: loc.ti,
    width: loc.w,
    height: loc.h,
    bandwidth: loc.b,
  };
}

/** The locator as the parent of what its playlist lists, with the URL it was fetched from now. */
function withUrl(loc: Locator, url: string): Locator {
  return loc.t === 'master' ? loc : { ...loc, u: url };
}

/** A harmless file name for a proxy URL: players sniff extensions; upstream names may hold tokens. */
function nameOf(ref: UriRef): string {
  if (ref.playlist) return 'index.m3u8';
  const ext = /\.([A-Za-z0-9]{1,6})$/.exec(new URL(ref.url).pathname)?.[1]?.toLowerCase();
  return ext !== undefined && SAFE_EXTENSIONS.has(ext) ? `media.${ext}` : 'data';
}
