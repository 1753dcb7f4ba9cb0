import { Agent, request } from 'undici';
import type { HttpClient, HttpFailure, HttpRequest, HttpResponse } from '../../ports/http-client.js';
import { redactUrl } from '../../core/redact.js';

export interface UndiciHttpClientOptions {
  /** Keep-alive sockets per origin. */
  readonly connectionsPerOrigin: number;
  readonly userAgent: string;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Outbound HTTP over one keep-alive undici Agent, with deadlines, size caps and safe redirects. */
export class UndiciHttpClient implements HttpClient {
  private readonly agent: Agent;
  private readonly userAgent: string;

  constructor(options: UndiciHttpClientOptions) {
    this.agent = new Agent({
      connections: options.connectionsPerOrigin,
      keepAliveTimeout: 30_000,
      pipelining: 1,
    });
    this.userAgent = options.userAgent;
  }

  async request(url: string, options: HttpRequest): Promise<HttpResponse | HttpFailure> {
    if (options.signal?.aborted) return fail('aborted', `aborted: ${redactUrl(url)}`);
    // One controller and one timer per request, both released at the end: AbortSignal.any and
    // AbortSignal.timeout keep dependents and timers alive and slow a busy poll loop to a crawl.
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, options.timeoutMs);
    const onAbort = () => {
      controller.abort();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await this.exchange(url, options, controller.signal, () => timedOut);
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  private async exchange(url: string, options: HttpRequest, signal: AbortSignal, timedOut: () => boolean): Promise<HttpResponse | HttpFailure> {
    const seen = new Set<string>();
    let current = url;
    let method = options.method ?? 'GET';
    let requestBody = options.body;
    for (let hop = 0; ; hop++) {
      let parsed: URL;
      try {
        parsed = new URL(current);
      } catch {
        return fail('badUrl', `not a URL: ${redactUrl(current)}`);
      }
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
        return fail('badUrl', `unsupported scheme ${parsed.protocol}`);
      }
      seen.add(parsed.href);
      try {
        const res = await request(parsed, {
          method,
          headers: { 'user-agent': this.userAgent, ...options.headers },
          body: requestBody ?? null,
          signal,
          dispatcher: this.agent,
          headersTimeout: options.timeoutMs,
          bodyTimeout: options.timeoutMs,
        });
        if (REDIRECTS.has(res.statusCode) && typeof res.headers.location === 'string') {
          await res.body.dump();
          if (hop >= (options.maxRedirects ?? 0)) return fail('redirects', `too many redirects from ${redactUrl(url)}`);
          const next = new URL(res.headers.location, parsed).href;
          if (seen.has(next)) return fail('redirects', `redirect loop at ${redactUrl(next)}`);
          current = next;
          if (res.statusCode === 303) {
            method = 'GET';
            requestBody = undefined;
          }
          continue;
        }
        const declared = Number(res.headers['content-length']);
        let body: Buffer;
        if (Number.isFinite(declared) && res.headers['content-length'] !== undefined) {
          // The usual case: the length is known, so the cap is checked before reading anything.
          if (declared > options.maxBytes) {
            res.body.destroy();
            return fail('tooLarge', `response from ${redactUrl(parsed.href)} exceeds ${options.maxBytes} bytes`);
          }
          body = Buffer.from(await res.body.arrayBuffer());
        } else {
          const read = await readCapped(res.body as AsyncIterable<Buffer> & { destroy(): void }, options.maxBytes);
          if (read === null) return fail('tooLarge', `response from ${redactUrl(parsed.href)} exceeds ${options.maxBytes} bytes`);
          body = read;
        }
        return {
          ok: true,
          status: res.statusCode,
          headers: flattenHeaders(res.headers),
          body,
          url: parsed.href,
        };
      } catch (error) {
        if (timedOut()) return fail('timeout', `timed out after ${options.timeoutMs}ms: ${redactUrl(parsed.href)}`);
        if (signal.aborted) return fail('aborted', `aborted: ${redactUrl(parsed.href)}`);
        const code = (error as { code?: string }).code ?? (error as Error).name;
        return fail('network', `${code} from ${redactUrl(parsed.href)}`);
      }
    }
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

/** Reads a body of unknown length, giving up (null) as soon as it passes `max` bytes. */
async function readCapped(body: AsyncIterable<Buffer> & { destroy(): void }, max: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > max) {
      body.destroy();
      return null;
    }
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

function fail(reason: HttpFailure['reason'], error: string): HttpFailure {
  return { ok: false, reason, error };
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (value !== undefined) flat[key] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}
