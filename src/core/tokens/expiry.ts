import type { Instant } from '../time.js';

const DAY_MS = 86_400_000;
const YEAR_MS = 365 * DAY_MS;

/** Which token shape an expiry was read from (PROTOCOLS.md §7.2), for logs and tests. */
export type TokenShape =
  | 'akamai'
  | 'cloudfront-policy'
  | 's3-sigv4'
  | 'goog-v4'
  | 'azure-sas'
  | 'jwt'
  | 'jwt-path'
  | 'media-cdn'
  | 'fastly'
  | 'secure-link-path'
  | 'epoch-param';

export interface Expiry {
  readonly at: Instant;
  readonly shape: TokenShape;
}

/** Query parameters that carry an epoch expiry directly (case-insensitive), most specific first. */
const EPOCH_PARAMS = [
  'expires',
  'exp',
  'expire',
  'e',
  'validto',
  'deadline',
  'wowzatokenendtime',
  'endtime',
];
const JWT_PARAMS = ['token', 'jwt', 'access_token', 'auth'];
const AKAMAI_PARAMS = ['__token__', 'hdnts', 'hdnea'];
/** Fastly's token authentication: `<epoch seconds>_<hex HMAC>`. */
const FASTLY_TOKEN = /^(\d{10})_[0-9A-Fa-f]{16,}$/;
/** A whole path segment that is a JWT (three base64url parts, a JSON header first). */
const JWT_SEGMENT = /^eyJ[\w-]*\.[\w-]+\.[\w-]*$/;

/**
 * Reads when a tokenized URL stops working, from the token shapes of PROTOCOLS.md §7.2: Akamai
 * (`__token__`/`hdnts`/`hdnea` with `exp=` inside), CloudFront custom policy (`Policy=`), S3 SigV4
 * (`X-Amz-Date` + `X-Amz-Expires`), GCS V4 (`X-Goog-Date` + `X-Goog-Expires`), Azure SAS (`se=`),
 * JWT (`token=`/`jwt=` with a payload `exp`), a JWT as a whole path segment (Cloudflare Stream's
 * signed URLs put it in place of the video id), Google Media CDN's `edge-cache-token` (query
 * parameter or path component, `Expires=` among its `~`- or `&`-separated fields), Fastly's
 * `token=<expires>_<signature>`, nginx secure_link in the path (`/<hash>,<expires>/`),
 * and any epoch parameter (`Expires=` of CloudFront canned / SigV2 / Cloud CDN, `expires`, `exp`,
 * `e`, `validto`, `deadline`, Wowza `…endtime`). Epoch values of 10 digits are seconds, 13 digits
 * milliseconds. A value outside [now − 1 day, now + 1 year] is not believed (it is some other
 * number), so the caller falls back to its refresh interval. Returns the earliest expiry found.
 */
export function parseExpiry(rawUrl: string, now: Instant): Expiry | null {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    return null;
  }
  const params = new Map<string, string>();
  for (const [key, value] of url.searchParams) {
    const lower = key.toLowerCase();
    if (!params.has(lower)) params.set(lower, value);
  }
  const found: Expiry[] = [];
  const add = (at: Instant | null, shape: TokenShape) => {
    if (at !== null && at >= now - DAY_MS && at <= now + YEAR_MS) found.push({ at, shape });
  };

  for (const name of AKAMAI_PARAMS) {
    const value = params.get(name);
    if (value !== undefined) add(epoch(/(?:^|[~&])exp=(\d+)/.exec(value)?.[1]), 'akamai');
  }
  const policy = params.get('policy');
  if (policy !== undefined) add(cloudFrontPolicyExpiry(policy), 'cloudfront-policy');
  add(dateplusSeconds(params.get('x-amz-date'), params.get('x-amz-expires')), 's3-sigv4');
  add(dateplusSeconds(params.get('x-goog-date'), params.get('x-goog-expires')), 'goog-v4');
  const se = params.get('se');
  if (se !== undefined && /^\d{4}-\d{2}-\d{2}/.test(se)) {
    const at = Date.parse(se);
    add(Number.isFinite(at) ? at : null, 'azure-sas');
  }
  for (const name of JWT_PARAMS) {
    const value = params.get(name);
    if (value?.startsWith('eyJ')) add(jwtExpiry(value), 'jwt');
  }
  const fastly = FASTLY_TOKEN.exec(params.get('token') ?? '');
  if (fastly) add(epoch(fastly[1]), 'fastly');
  const edgeToken = params.get('edge-cache-token');
  if (edgeToken !== undefined) add(mediaCdnExpiry(edgeToken), 'media-cdn');
  for (const segment of url.pathname.split('/')) {
    const decoded = safeDecode(segment);
    if (decoded.startsWith('edge-cache-token='))
      add(mediaCdnExpiry(decoded.slice('edge-cache-token='.length)), 'media-cdn');
    else if (JWT_SEGMENT.test(decoded)) add(jwtExpiry(decoded), 'jwt-path');
  }
  for (const name of EPOCH_PARAMS) {
    const value = params.get(name);
    if (value !== undefined) add(epoch(value), 'epoch-param');
  }
  for (const [key, value] of params) {
    // Wowza's parameter names carry an operator-chosen prefix: `<prefix>endtime`.
    if (key.endsWith('endtime') && !EPOCH_PARAMS.includes(key)) add(epoch(value), 'epoch-param');
  }
  const secureLink = /\/[A-Za-z0-9_-]{16,},(\d{10})(?:\/|$)/.exec(url.pathname);
  if (secureLink) add(epoch(secureLink[1]), 'secure-link-path');

  if (found.length === 0) return null;
  return found.reduce((a, b) => (b.at < a.at ? b : a));
}

/**
 * When to refresh a URL that expires at `expiresAt`: a safety margin before it — 10 % of the
 * remaining lifetime, at least 60 s — but never more than half the remaining lifetime, so a
 * short-lived token (seconds) is still used for a while instead of being refreshed in a loop.
 */
export function refreshAt(expiresAt: Instant, now: Instant): Instant {
  const remaining = expiresAt - now;
  if (remaining <= 0) return now;
  const margin = Math.min(Math.max(remaining * 0.1, 60_000), remaining / 2);
  return Math.round(expiresAt - margin);
}

/** 10 digits: seconds; 13 digits: milliseconds; anything else: not an epoch. */
function epoch(value: string | undefined): Instant | null {
  if (value === undefined) return null;
  if (/^\d{10}$/.test(value)) return Number(value) * 1_000;
  if (/^\d{13}$/.test(value)) return Number(value);
  return null;
}

/** `YYYYMMDDTHHMMSSZ` plus a number of seconds. */
function dateplusSeconds(date: string | undefined, seconds: string | undefined): Instant | null {
  if (date === undefined || seconds === undefined || !/^\d+$/.test(seconds)) return null;
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(date);
  if (!m) return null;
  const start = Date.UTC(
    Number(m[1]),
    Number(m[2]) - 1,
    Number(m[3]),
    Number(m[4]),
    Number(m[5]),
    Number(m[6]),
  );
  return start + Number(seconds) * 1_000;
}

/** CloudFront's base64 variant maps `+`→`-`, `=`→`_`, `/`→`~`; the policy is JSON. */
function cloudFrontPolicyExpiry(policy: string): Instant | null {
  const standard = policy.replace(/-/g, '+').replace(/_/g, '=').replace(/~/g, '/');
  const json = parseJsonObject(Buffer.from(standard, 'base64').toString('utf8'));
  const statements = json?.['Statement'];
  if (!Array.isArray(statements)) return null;
  const first: unknown = statements[0];
  const condition = asRecord(asRecord(first)?.['Condition']);
  const lessThan = asRecord(condition?.['DateLessThan']);
  const value = lessThan?.['AWS:EpochTime'];
  return typeof value === 'number' ? epoch(String(value)) : null;
}

/**
 * Media CDN's token or signed path component: fields `Name=value` separated by `~` (tokens) or
 * `&` (signed path components); `Expires` is epoch seconds.
 */
function mediaCdnExpiry(token: string): Instant | null {
  for (const field of token.split(/[~&]/)) {
    if (field.startsWith('Expires=')) return epoch(field.slice('Expires='.length));
  }
  return null;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function jwtExpiry(token: string): Instant | null {
  const payload = token.split('.')[1];
  if (payload === undefined) return null;
  const exp = parseJsonObject(Buffer.from(payload, 'base64url').toString('utf8'))?.['exp'];
  return typeof exp === 'number' && Number.isInteger(exp) ? epoch(String(exp)) : null;
}

function parseJsonObject(text: string): Record<string, unknown> | null {
  try {
    return asRecord(JSON.parse(text));
  } catch {
    return null;
  }
}

function asRecord(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}
