import type { Readable } from 'node:stream';
import { contentTypeOf, JSON_TYPE } from '../../core/hls/content-type.js';
import {
  jsonDocumentOf,
  rewriteAssetList,
  rewriteSteeringManifest,
} from '../../core/hls/json-documents.js';
import {
  collectUris,
  planRewrite,
  playlistVariables,
  withDirectives,
  type UriMapper,
  type UriRef,
} from '../../core/hls/rewrite.js';
import type { Cancel, Clock, Timers } from '../../ports/clock.js';
import type { StreamSource } from '../../ports/extractor.js';
import type { Logger } from '../../ports/logger.js';
import type { Readers } from '../readers.js';
import { currentSource, type Refresher, type Streams } from '../refresher.js';
import type { FetchScope, TokenSealer, Upstream } from './ports.js';
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
  /**
   * The channel's configured URL: its origin, like the origins of the URLs the extractor
   * resolved, is exempt from the proxy's address policy. Without it only the resolved URLs are.
   */
  readonly channelUrl?: (id: string) => Promise<string | undefined>;
  /** Most URIs a playlist may list (default 20,000); a longer one is refused, not rewritten. */
  readonly maxPlaylistUris?: number;
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
  /** A rewritten playlist, or a rewritten JSON document (`contentType` then says so). */
  | { readonly kind: 'playlist'; readonly body: string; readonly contentType?: string }
  | {
      readonly kind: 'bytes';
      readonly status: number;
      readonly headers: Readonly<Record<string, string>>;
      readonly body: Readable;
    }
  | { readonly kind: 'error'; readonly status: number; readonly message: string };

const REFUSED = new Set([403, 410]);
/** Seals between two yields to the event loop while a long playlist is signed (~1–2 ms). */
const SEALS_PER_SLICE = 256;
/** Child proxy URIs remembered for reuse by later reloads (each a few hundred bytes). */
const MAX_CHILD_URIS = 100_000;
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
  /** Channel id → its trusted origins for one stream generation. */
  private readonly trust = new Map<string, { g: number; trusted: ReadonlySet<string> }>();
  /** Channel id → the window of its media playlist last served, ms: segments are cached this long. */
  private readonly windows = new Map<string, number>();
  /**
   * Proxy URIs already written for a child reference, by viewer, generation, parent and URL: a
   * live playlist reload lists mostly what the previous one did, so each is sealed once.
   */
  private readonly childUris = new Map<string, { uri: string; until: number }>();
  /** Parent locators as short numbers for `childUris` keys. */
  private readonly parentIds = new Map<string, number>();

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
    const document = tok.l.t === 'child' ? jsonDocumentOf(tok.l.i) : null;
    if (document !== null) return this.document(tok, current.streams, directives, document);
    return this.bytes(tok, current.streams, range);
  }

  /**
   * Whom the channel's fetches are for: the origins of its configured URL and of the URLs its
   * extractor resolved are trusted (the address policy does not apply to them).
   */
  private async scope(channelId: string, streams: Streams): Promise<FetchScope> {
    let known = this.trust.get(channelId);
    if (known?.g !== streams.generation) {
      const urls = [...streams.sources.map((s) => s.url), streams.master];
      const configured = await this.o.channelUrl?.(channelId);
      if (configured !== undefined) urls.push(configured);
      const trusted = new Set<string>();
      for (const url of urls) {
        const origin = originOf(url);
        if (origin !== null) trusted.add(origin);
      }
      known = { g: streams.generation, trusted };
      this.trust.set(channelId, known);
    }
    return { channel: channelId, trusted: known.trusted };
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
    const fetched = await this.fetchText(tok, streams, directives);
    if (fetched.kind === 'error') return fetched;
    const { res, url } = fetched;
    streams = fetched.streams;
    const scope = await this.scope(tok.c, streams);
    const imports = res.body.includes('IMPORT=')
      ? await this.importsFor(tok.l, streams, scope)
      : undefined;
    const plan = planRewrite(res.body, res.url, imports ? { imports } : {});
    const max = this.o.maxPlaylistUris ?? 20_000;
    if (plan.refs.length > max)
      return {
        kind: 'error',
        status: 502,
        message: `upstream playlist lists ${plan.refs.length} URIs, more than ${max}`,
      };
    // A media playlist: its segments stay in the cache no longer than the window it covers.
    if (plan.durationS > 0) this.windows.set(tok.c, Math.round(plan.durationS * 1_000));
    const uris = await this.childUriList(tok, streams, withUrl(tok.l, url), plan.refs);
    return { kind: 'playlist', body: plan.render(uris) };
  }

  /**
   * Fetches the text behind a playlist or JSON-document token through the shared playlist cache,
   * re-resolving once after a 403/410. The player keeps such a URL for its whole session, so
   * the current upstream URL is always looked up.
   */
  private async fetchText(
    tok: ProxyToken,
    streams: Streams,
    directives: readonly (readonly [string, string])[],
  ): Promise<
    | {
        readonly kind: 'text';
        readonly res: { readonly status: number; readonly url: string; readonly body: string };
        readonly url: string;
        readonly streams: Streams;
      }
    | Extract<ProxyReply, { kind: 'error' }>
  > {
    let scope = await this.scope(tok.c, streams);
    let url = await this.locate(tok.l, streams, tok.g !== streams.generation, scope);
    if (url === null) return { kind: 'error', status: 404, message: 'stream no longer offered' };
    let res = await this.o.playlists.get(withDirectives(url, directives), scope);
    if (res.ok && REFUSED.has(res.status)) {
      const refreshed = await this.o.refresher.refreshAfterRefusal(tok.c, streams.generation);
      if (!refreshed.ok) return { kind: 'error', status: 502, message: 'stream unavailable' };
      streams = refreshed.streams;
      scope = await this.scope(tok.c, streams);
      url = await this.locate(tok.l, streams, true, scope);
      if (url === null) return { kind: 'error', status: 404, message: 'stream no longer offered' };
      res = await this.o.playlists.get(withDirectives(url, directives), scope);
    }
    if (!res.ok) return { kind: 'error', status: 502, message: 'upstream unreachable' };
    if (res.status !== 200)
      return {
        kind: 'error',
        status: res.status === 404 || res.status === 410 ? 404 : 502,
        message: `upstream answered ${res.status}`,
      };
    return { kind: 'text', res, url, streams };
  }

  /** A content-steering manifest or an interstitial asset list, its URIs rewritten to proxy URLs. */
  private async document(
    tok: ProxyToken,
    streams: Streams,
    directives: readonly (readonly [string, string])[],
    document: 'steering' | 'asset-list',
  ): Promise<ProxyReply> {
    const fetched = await this.fetchText(tok, streams, directives);
    if (fetched.kind === 'error') return fetched;
    const parent = withUrl(tok.l, fetched.url);
    const base = baseOf(tok, fetched.streams.generation);
    const map: UriMapper = (ref) =>
      `${nameOf(ref)}?t=${this.token(base, ref.playlist, { t: 'child', u: ref.url, i: ref.ident, p: parent })}`;
    const rewritten =
      document === 'steering'
        ? rewriteSteeringManifest(fetched.res.body, fetched.res.url, map)
        : rewriteAssetList(fetched.res.body, fetched.res.url, map);
    if (!rewritten.ok)
      return { kind: 'error', status: 502, message: `upstream ${document}: ${rewritten.error}` };
    return { kind: 'playlist', body: rewritten.body, contentType: JSON_TYPE };
  }

  /**
   * The proxy URI of every reference of a playlist, sealing only those not written for this
   * viewer, generation and parent before, and yielding to the event loop every
   * `SEALS_PER_SLICE` seals, so a long playlist never holds the loop for more than a slice.
   */
  private async childUriList(
    tok: ProxyToken,
    streams: Streams,
    parent: Locator,
    refs: readonly UriRef[],
  ): Promise<string[]> {
    const base = baseOf(tok, streams.generation);
    const parentKey = JSON.stringify(parent);
    let parentId = this.parentIds.get(parentKey);
    if (parentId === undefined) {
      if (this.parentIds.size >= 10_000) this.parentIds.clear();
      parentId = this.parentIds.size;
      this.parentIds.set(parentKey, parentId);
    }
    const prefix = `${tok.k === true ? 'k' : 'v'}${tok.v}\n${streams.generation}\n${parentId}\n`;
    const now = this.o.clock.now();
    const uris: string[] = [];
    let sealed = 0;
    for (const ref of refs) {
      const key = `${prefix}${ref.playlist ? 'p' : 'b'}\n${ref.ident}\n${ref.url}`;
      const known = this.childUris.get(key);
      if (known !== undefined && known.until > now) {
        uris.push(known.uri);
        continue;
      }
      if (sealed > 0 && sealed % SEALS_PER_SLICE === 0) await yieldToLoop();
      sealed++;
      const uri = `${nameOf(ref)}?t=${this.token(base, ref.playlist, { t: 'child', u: ref.url, i: ref.ident, p: parent })}`;
      // Reused for half its lifetime, so a reused URI keeps the other half to be fetched in.
      const lifetime = ref.playlist ? this.o.playlistTokenMs : this.o.segmentTokenMs;
      this.childUris.delete(key);
      if (this.childUris.size >= MAX_CHILD_URIS) {
        const oldest = this.childUris.keys().next();
        if (oldest.done !== true) this.childUris.delete(oldest.value);
      }
      this.childUris.set(key, { uri, until: now + lifetime / 2 });
      uris.push(uri);
    }
    return uris;
  }

  private async bytes(
    tok: ProxyToken,
    streams: Streams,
    range: string | undefined,
  ): Promise<ProxyReply> {
    // A segment URL is used as signed while it works (old tokens overlap new ones); only a
    // refusal makes it worth finding the segment again in a freshly resolved playlist.
    let scope = await this.scope(tok.c, streams);
    const url = await this.locate(tok.l, streams, false, scope);
    if (url === null) return { kind: 'error', status: 404, message: 'not found' };
    // Shared with every reader of the channel for the window of its media playlist.
    const cached = (s: FetchScope) => ({ ...s, cacheMs: this.windows.get(tok.c) ?? 0 });
    let res = await this.o.upstream.open(url, { range, scope: cached(scope) });
    if (res.ok && REFUSED.has(res.status)) {
      discard(res.body);
      const refreshed = await this.o.refresher.refreshAfterRefusal(tok.c, tok.g);
      if (!refreshed.ok) return { kind: 'error', status: 502, message: 'stream unavailable' };
      scope = await this.scope(tok.c, refreshed.streams);
      const again = await this.locate(tok.l, refreshed.streams, true, scope);
      if (again === null) return { kind: 'error', status: 404, message: 'not found' };
      this.o.logger.debug(
        { channel: tok.c, ident: tok.l.t === 'child' ? tok.l.i : tok.l.t },
        'refetching a refused segment with a fresh token',
      );
      res = await this.o.upstream.open(again, { range, scope: cached(scope) });
    }
    if (!res.ok) return { kind: 'error', status: 502, message: 'upstream unreachable' };
    // The content type is onair's, by what the URI is; the origin's is dropped.
    const headers: Record<string, string> = { ...res.headers };
    headers['content-type'] = contentTypeOf(tok.l.t === 'child' ? tok.l.i : tok.l.t, url);
    return { kind: 'bytes', status: res.status, headers, body: res.body };
  }

  /**
   * An HTTP-FLV source, streamed as it arrives for as long as the player reads (never cached:
   * it does not end). A refusal re-resolves once, as for segments. The viewer stays a reader
   * while the one request lasts and leaves when it closes.
   */
  private async stream(tok: ProxyToken, streams: Streams): Promise<ProxyReply> {
    let scope = await this.scope(tok.c, streams);
    let url = await this.locate(tok.l, streams, false, scope);
    if (url === null) return { kind: 'error', status: 404, message: 'stream no longer offered' };
    let res = await this.o.upstream.open(url, { scope });
    if (res.ok && REFUSED.has(res.status)) {
      discard(res.body);
      const refreshed = await this.o.refresher.refreshAfterRefusal(tok.c, streams.generation);
      if (!refreshed.ok) return { kind: 'error', status: 502, message: 'stream unavailable' };
      scope = await this.scope(tok.c, refreshed.streams);
      url = await this.locate(tok.l, refreshed.streams, true, scope);
      if (url === null) return { kind: 'error', status: 404, message: 'stream no longer offered' };
      res = await this.o.upstream.open(url, { scope });
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
  private async locate(
    loc: Locator,
    streams: Streams,
    rederive: boolean,
    scope: FetchScope,
  ): Promise<string | null> {
    switch (loc.t) {
      case 'master':
        return streams.master;
      case 'source':
        return currentSource(fromLocator(loc), streams)?.url ?? null;
      case 'child': {
        if (!rederive) return loc.u;
        const parentUrl = await this.locate(loc.p, streams, true, scope);
        if (parentUrl === null) return loc.u;
        const parent = await this.o.playlists.get(parentUrl, scope);
        if (!parent.ok || parent.status !== 200) return loc.u;
        return collectUris(parent.body, parent.url).find((r) => r.ident === loc.i)?.url ?? loc.u;
      }
    }
  }

  /** The multivariant playlist's variables, for a media playlist that imports them. */
  private async importsFor(
    loc: Locator,
    streams: Streams,
    scope: FetchScope,
  ): Promise<Map<string, string> | undefined> {
    const masterUrl = loc.t === 'child' && loc.p.t === 'master' ? streams.master : null;
    if (masterUrl === null) return undefined;
    const master = await this.o.playlists.get(masterUrl, scope);
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
      // A quoted-string holds no `"`, CR or LF (RFC 8216 §4.2): a label never adds a line.
      attrs.push(`NAME="${s.quality.replace(/["\r\n]/g, "'")}"`);
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

/** Lets other requests run between two slices of a long job. */
function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => {
    setImmediate(resolve);
  });
}

function originOf(url: string | null): string | null {
  if (url === null) return null;
  try {
    return new URL(url).origin;
  } catch {
    return null;
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
