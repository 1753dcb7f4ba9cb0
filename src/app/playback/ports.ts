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
 * The proxy's way to the origin. Declared here, by its consumer; the undici adapter lives in
 * `adapters/proxy`. Expected failures (network, timeout) are values; any HTTP status is a response.
 */
export interface Upstream {
  /** GET a playlist, following redirects; `url` of the answer is the final URL. */
  text(url: string, signal: AbortSignal): Promise<UpstreamText>;
  /**
   * GET bytes, following redirects, forwarding a `Range` header when given. Without a signal the
   * adapter's own header and idle-body timeouts bound the request (the proxy's segment path:
   * no timer per request; a player that goes away destroys the body, which aborts it).
   */
  open(
    url: string,
    options: { readonly range?: string | undefined; readonly signal?: AbortSignal | undefined },
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
