import type { z } from 'zod';
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

/**
 * A transport failure without the URL: some providers keep their secret in the path (Discord
 * webhook token, Telegram bot token), which `redactUrl` cannot know about.
 */
export function transportFailure(res: HttpFailure, what: string): SendResult {
  return {
    ok: false,
    retryable: res.reason !== 'badUrl',
    retryAfterMs: null,
    error: `${what}: ${res.reason}`,
  };
}

/** A non-2xx answer as a failure; `retryAfter` overrides the `Retry-After` header when the body says more. */
export function statusFailure(
  res: HttpResponse,
  what: string,
  now: number,
  detail = '',
  retryAfter: number | null = null,
): SendResult {
  return {
    ok: false,
    retryable: isRetryableStatus(res.status),
    retryAfterMs: retryAfter ?? retryAfterMs(res.headers['retry-after'], now),
    error: `${what} answered HTTP ${res.status}${detail === '' ? '' : ` ${detail}`}`,
  };
}

/** Maps a plain HTTP exchange to a send result (providers with richer errors refine this). */
export function resultOfHttp(
  res: HttpResponse | HttpFailure,
  what: string,
  now: number,
): SendResult {
  if (!res.ok)
    return { ok: false, retryable: res.reason !== 'badUrl', retryAfterMs: null, error: res.error };
  if (res.status >= 200 && res.status < 300)
    return { ok: true, messageId: null, detail: `${what} answered ${res.status}` };
  return statusFailure(res, what, now);
}

/** A JSON body checked against its wire schema; undefined when it is not JSON or not that shape. */
export function parseJsonBody<T>(body: Buffer, schema: z.ZodType<T>): T | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  const parsed = schema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/** Shortens provider-supplied text for an error message. */
export function clip(text: string, max = 200): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
