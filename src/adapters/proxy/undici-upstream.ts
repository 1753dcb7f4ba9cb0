import { Agent, request, type Dispatcher } from 'undici';
import type {
  FetchScope,
  Upstream,
  UpstreamBytes,
  UpstreamText,
} from '../../app/playback/ports.js';
import { AddressPolicy, guardedConnector } from './address-policy.js';

export interface UndiciUpstreamOptions {
  readonly userAgent: string;
  /** Keep-alive sockets per origin (segments of many viewers in parallel). */
  readonly connectionsPerOrigin: number;
  /** Largest playlist read. */
  readonly maxPlaylistBytes: number;
  /** Addresses and CIDRs the address policy allows besides public ones (`proxy.allowAddresses`). */
  readonly allowAddresses?: readonly string[];
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Response headers a player needs, passed through from the origin. */
const PASS_HEADERS = [
  'content-type',
  'content-length',
  'content-range',
  'accept-ranges',
  'last-modified',
  'etag',
  'cache-control',
] as const;

/**
 * The proxy's undici client. Playlists are read whole (capped); bytes are returned as the
 * response stream itself — never buffered — with a `Range` header forwarded. Redirects are
 * followed (at most 5) so a CDN's token-handing redirect works. Each hop goes through one of two
 * pools: the scope's trusted origins through a plain one, every other URL through one whose
 * connector applies the address policy when it connects (see `guardedConnector`).
 */
export class UndiciUpstream implements Upstream {
  private readonly trustedAgent: Agent;
  private readonly guardedAgent: Agent;
  private readonly options: UndiciUpstreamOptions;
  /** Request headers without a range: one object for every request. */
  private readonly headers: Readonly<Record<string, string>>;

  constructor(options: UndiciUpstreamOptions) {
    this.options = options;
    this.headers = { 'user-agent': options.userAgent };
    const pool = {
      connections: options.connectionsPerOrigin,
      keepAliveTimeout: 30_000,
      pipelining: 1,
    };
    this.trustedAgent = new Agent(pool);
    this.guardedAgent = new Agent({
      ...pool,
      connect: guardedConnector(new AddressPolicy(options.allowAddresses ?? [])),
    });
  }

  async text(url: string, signal: AbortSignal, scope?: FetchScope): Promise<UpstreamText> {
    const res = await this.follow(url, undefined, signal, scope);
    if (!res.ok) return res;
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of res.data.body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > this.options.maxPlaylistBytes) {
          res.data.body.destroy();
          return { ok: false, reason: 'playlist too large' };
        }
        chunks.push(chunk);
      }
    } catch (error) {
      return { ok: false, reason: failure(error, signal) };
    }
    return {
      ok: true,
      status: res.data.statusCode,
      url: res.url,
      body: Buffer.concat(chunks).toString('utf8'),
    };
  }

  async open(
    url: string,
    options: {
      readonly range?: string | undefined;
      readonly signal?: AbortSignal | undefined;
      readonly scope?: FetchScope | undefined;
    },
  ): Promise<UpstreamBytes> {
    const res = await this.follow(url, options.range, options.signal, options.scope);
    if (!res.ok) return res;
    const headers: Record<string, string> = {};
    for (const name of PASS_HEADERS) {
      const value = res.data.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    return { ok: true, status: res.data.statusCode, headers, body: res.data.body };
  }

  async close(): Promise<void> {
    await Promise.all([this.trustedAgent.close(), this.guardedAgent.close()]);
  }

  private async follow(
    url: string,
    range: string | undefined,
    signal: AbortSignal | undefined,
    scope: FetchScope | undefined,
  ): Promise<
    { ok: true; url: string; data: Dispatcher.ResponseData } | { ok: false; reason: string }
  > {
    let current = url;
    const headers = range === undefined ? this.headers : { ...this.headers, range };
    for (let hop = 0; hop <= 5; hop++) {
      let parsed: URL;
      try {
        parsed = new URL(current);
      } catch {
        return { ok: false, reason: 'bad upstream URL' };
      }
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
        return { ok: false, reason: 'unsupported upstream scheme' };
      let data: Dispatcher.ResponseData;
      try {
        data = await request(parsed, {
          method: 'GET',
          headers,
          signal,
          dispatcher:
            scope?.trusted.has(parsed.origin) === true ? this.trustedAgent : this.guardedAgent,
          headersTimeout: 15_000,
          bodyTimeout: 30_000,
        });
      } catch (error) {
        return { ok: false, reason: failure(error, signal) };
      }
      const location = data.headers.location;
      if (REDIRECTS.has(data.statusCode) && typeof location === 'string') {
        await data.body.dump();
        current = new URL(location, parsed).href;
        continue;
      }
      return { ok: true, url: parsed.href, data };
    }
    return { ok: false, reason: 'too many redirects' };
  }
}

/** A reason without the URL (it may carry a token). */
function failure(error: unknown, signal: AbortSignal | undefined): string {
  if (signal?.aborted === true) return 'upstream timed out or was aborted';
  if ((error as { code?: string }).code === 'EADDRREFUSED')
    return 'upstream address refused by the proxy address policy';
  return `upstream network error (${(error as { code?: string }).code ?? (error instanceof Error ? error.name : 'unknown')})`;
}
