import type { Readable } from 'node:stream';

/** A playlist fetched whole (they are small), after redirects. */
export type UpstreamText =
  | { readonly ok: true; readonly status: number; readonly url: string; readonly body: string }
  | { readonly ok: false; readonly reason: string };

/** A byte stream from the origin, not buffered: the body is piped to the player as it arrives. */
export type UpstreamBytes =
  | {
      readonly ok: true;
      readonly status: number;
      readonly headers: Readonly<Record<string, string>>;
      readonly body: Readable;
    }
  | { readonly ok: false; readonly reason: string };

/**
 * Whom a fetch is for. The address policy (no loopback, private, link-local or metadata
 * addresses) is waived only for `trusted` origins; the segment cache shares bytes among every
 * reader of the channel for `cacheMs`.
 */
export interface FetchScope {
  /** Channel id: the segment cache's per-channel budget is counted against it. */
  readonly channel: string;
  /**
   * Origins (`URL.origin`: scheme, host, port) exempt from the address policy: the channel's
   * configured URL and the URLs its extractor resolved. Redirects are checked hop by hop.
   */
  readonly trusted: ReadonlySet<string>;
  /** How long fetched bytes may be served to other readers (the playlist window); 0: not cached. */
  readonly cacheMs?: number | undefined;
}

/**
 * The proxy's way to the origin. Declared here, by its consumer; the undici adapter lives in
 * `adapters/proxy`. Expected failures (network, timeout) are values; any HTTP status is a response.
 */
export interface Upstream {
  /** GET a playlist, following redirects; `url` of the answer is the final URL. */
  /** Without a scope every address outside the policy is refused. */
  text(url: string, signal: AbortSignal, scope?: FetchScope): Promise<UpstreamText>;
  /**
   * GET bytes, following redirects, forwarding a `Range` header when given. Without a signal the
   * adapter's own header and idle-body timeouts bound the request (the proxy's segment path:
   * no timer per request; a player that goes away destroys the body, which aborts it).
   * Without a scope every address outside the policy is refused and nothing is cached.
   */
  open(
    url: string,
    options: {
      readonly range?: string | undefined;
      readonly signal?: AbortSignal | undefined;
      readonly scope?: FetchScope | undefined;
    },
  ): Promise<UpstreamBytes>;
}

/**
 * Seals proxy-URL payloads: the result is opaque to the client (encrypted) and authenticated
 * (HMAC), so only onair can mint one. `open` returns null for anything it did not seal.
 */
export interface TokenSealer {
  seal(payload: unknown): string;
  open(token: string): unknown;
}
