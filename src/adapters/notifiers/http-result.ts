import type { HttpFailure, HttpResponse } from '../../ports/http-client.js';
import type { SendResult } from '../../ports/notifier.js';

/**
 * `Retry-After` as milliseconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3).
 * Returns null when absent or unreadable.
 */
export function retryAfterMs(value: string | undefined, now: number): number | null {
  if (value === undefined || value.trim() === '') return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.round(seconds * 1000));
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - now) : null;
}

/** Statuses worth retrying: timeouts, rate limits and server errors. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

/** Maps a plain HTTP exchange to a send result (providers with richer errors refine this). */
export function resultOfHttp(res: HttpResponse | HttpFailure, what: string, now: number): SendResult {
  if (!res.ok) return { ok: false, retryable: res.reason !== 'badUrl', retryAfterMs: null, error: res.error };
  if (res.status >= 200 && res.status < 300) return { ok: true, messageId: null, detail: `${what} answered ${res.status}` };
  return {
    ok: false,
    retryable: isRetryableStatus(res.status),
    retryAfterMs: retryAfterMs(res.headers['retry-after'], now),
    error: `${what} answered HTTP ${res.status}`,
  };
}
