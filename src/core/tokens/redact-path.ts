import { redactUrl } from '../redact.js';

/**
 * Path segments that look like a token (16+ characters of base64url/hex with letters and digits
 * and no file extension), e.g. nginx secure_link's `/t/<md5>/…` or `/<md5>,<expires>/`.
 */
const TOKEN_SEGMENT = /^(?=[^/]*\d)(?=[^/]*[A-Za-z])[A-Za-z0-9_~=,-]{16,}$/;
/** Whole-segment tokens with other characters: a JWT (Cloudflare Stream), Media CDN's signed component. */
const TOKEN_SHAPED_SEGMENT = /^(?:eyJ[\w-]*\.[\w-]+\.[\w-]*|edge-cache-token=.*)$/;

/**
 * A stream URL safe to show: `redactUrl` (user info, secret query values) plus token-looking
 * path segments replaced by `REDACTED`. Over-redacting a long stream name is the accepted cost.
 */
export function redactStreamUrl(raw: string): string {
  const redacted = redactUrl(raw);
  let url: URL;
  try {
    url = new URL(redacted);
  } catch {
    return redacted;
  }
  url.pathname = url.pathname
    .split('/')
    .map((segment) => (isTokenSegment(segment) ? 'REDACTED' : segment))
    .join('/');
  return url.href;
}

function isTokenSegment(segment: string): boolean {
  let decoded: string;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    // Not valid percent-encoding: not a name anyone chose, so hide it.
    return true;
  }
  return TOKEN_SEGMENT.test(decoded) || TOKEN_SHAPED_SEGMENT.test(decoded);
}
