import type { Observation } from '../../core/model.js';
import type { HttpClient, HttpFailure, HttpResponse } from '../../ports/http-client.js';

/** What every HTTP-polling platform adapter needs. */
export interface PlatformHttp {
  readonly http: HttpClient;
  readonly timeoutMs: number;
  readonly maxBytes: number;
}

export function failed(error: string, retryable = true): Observation {
  return { kind: 'failed', error, retryable };
}

export function httpFailed(result: HttpFailure): Observation {
  return failed(result.error, result.reason !== 'badUrl');
}

export function statusFailed(res: HttpResponse, what: string): Observation {
  return failed(
    `${what} answered HTTP ${res.status}`,
    res.status >= 500 || res.status === 429 || res.status === 408,
  );
}

export function validateHttpUrl(url: string): string | null {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:'
      ? null
      : 'must be an http(s) URL';
  } catch {
    return 'must be an absolute URL';
  }
}

/** Parses a JSON body, returning undefined for anything that is not JSON. */
export function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}
