import { Agent, request, type Dispatcher } from 'undici';
import type {
  HttpClient,
  HttpFailure,
  HttpRequest,
  HttpResponse,
} from '../../ports/http-client.js';
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
    // The deadline is kept with undici's own header and body timers plus one timer per body read:
    // an AbortController per request (or AbortSignal.any/timeout) costs more than the rest of a
    // probe's bookkeeping on a busy poll loop.
    return this.exchange(url, options, performance.now() + options.timeoutMs);
  }

  private async exchange(
    url: string,
    options: HttpRequest,
    deadline: number,
  ): Promise<HttpResponse | HttpFailure> {
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
      const remaining = Math.floor(deadline - performance.now());
      if (remaining <= 0)
        return fail('timeout', `timed out after ${options.timeoutMs}ms: ${redactUrl(parsed.href)}`);
      try {
        const res = await request(parsed, {
          method,
          headers: { 'user-agent': this.userAgent, ...options.headers },
          body: requestBody ?? null,
          signal: options.signal ?? null,
          dispatcher: this.agent,
          headersTimeout: remaining,
          bodyTimeout: remaining,
        });
        if (REDIRECTS.has(res.statusCode) && typeof res.headers.location === 'string') {
          await res.body.dump();
          if (hop >= (options.maxRedirects ?? 0))
            return fail('redirects', `too many redirects from ${redactUrl(url)}`);
          const next = new URL(res.headers.location, parsed).href;
          if (seen.has(next)) return fail('redirects', `redirect loop at ${redactUrl(next)}`);
          current = next;
          if (res.statusCode === 303) {
            method = 'GET';
            requestBody = undefined;
          }
          continue;
        }
        // A body that trickles in must still end at the deadline (bodyTimeout only bounds each gap).
        const timer = setTimeout(
          () => {
            res.body.destroy(new DeadlineError());
          },
          Math.max(1, deadline - performance.now()),
        );
        let body: Buffer | null;
        try {
          body = await readBody(res, options.maxBytes);
        } finally {
          clearTimeout(timer);
        }
        if (body === null)
          return fail(
            'tooLarge',
            `response from ${redactUrl(parsed.href)} exceeds ${options.maxBytes} bytes`,
          );
        return {
          ok: true,
          status: res.statusCode,
          headers: flattenHeaders(res.headers),
          body,
          url: parsed.href,
        };
      } catch (error) {
        const code = (error as { code?: string }).code ?? (error as Error).name;
        if (
          error instanceof DeadlineError ||
          TIMEOUT_CODES.has(code) ||
          performance.now() >= deadline
        ) {
          return fail(
            'timeout',
            `timed out after ${options.timeoutMs}ms: ${redactUrl(parsed.href)}`,
          );
        }
        if (options.signal?.aborted) return fail('aborted', `aborted: ${redactUrl(parsed.href)}`);
        return fail('network', `${code} from ${redactUrl(parsed.href)}`);
      }
    }
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

const TIMEOUT_CODES = new Set([
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
]);

class DeadlineError extends Error {
  override readonly name = 'DeadlineError';
}

/** The body, or null when it is larger than `max`; a declared length is checked before reading. */
async function readBody(res: Dispatcher.ResponseData, max: number): Promise<Buffer | null> {
  const declared = res.headers['content-length'];
  if (typeof declared === 'string' && Number.isFinite(Number(declared))) {
    if (Number(declared) > max) {
      res.body.destroy();
      return null;
    }
    return Buffer.from(await res.body.arrayBuffer());
  }
  return readCapped(res.body as AsyncIterable<Buffer> & { destroy(): void }, max);
}

/** Reads a body of unknown length, giving up (null) as soon as it passes `max` bytes. */
async function readCapped(
  body: AsyncIterable<Buffer> & { destroy(): void },
  max: number,
): Promise<Buffer | null> {
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

function flattenHeaders(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (value !== undefined) flat[key] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}
