/**
 * Query parameter names whose values are secrets (tokens, signatures, keys, passwords, CDN auth
 * such as Akamai's `hdnts`/`hdnea`, Wowza's `wmsAuthSign`, one-time codes). Matched anywhere in
 * the name, case-insensitively: over-redacting a harmless parameter is the accepted cost.
 */
const SECRET_PARAM =
  /token|sig|key|secret|auth|pass|pwd|hmac|md5|hdn|policy|cred|session|jwt|bearer|access|code|ticket|otp|nonce|hash|private|sid/i;

/**
 * Path segments a webhook URL may show: short lowercase words like `api`, `hooks`, `services`.
 * Generated secrets mix case, digits or symbols, so they never look like this.
 */
const PLAIN_SEGMENT = /^[a-z]{1,12}$/;

/**
 * A URL safe to log or show: user info and secret-looking query values replaced by `REDACTED`.
 * Like alertmanager's RedactURL. Anything unparsable is returned as a placeholder. Linear in the
 * length of the URL (the query is rebuilt once, not once per secret parameter).
 */
export function redactUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return '<invalid url>';
  }
  if (url.username !== '') url.username = 'REDACTED';
  if (url.password !== '') url.password = 'REDACTED';
  let secret = false;
  const params: [string, string][] = [];
  for (const [key, value] of url.searchParams) {
    const hidden = SECRET_PARAM.test(key);
    secret ||= hidden;
    params.push([key, hidden ? 'REDACTED' : value]);
  }
  if (secret) url.search = new URLSearchParams(params).toString();
  return url.href;
}

/**
 * `redactUrl` plus every path segment that is not a short plain word: webhook URLs carry their
 * secret in the path (Slack's `/services/T…/B…/…`, Discord's `/api/webhooks/<id>/<token>`).
 */
export function redactUrlWithPath(raw: string): string {
  const redacted = redactUrl(raw);
  let url: URL;
  try {
    url = new URL(redacted);
  } catch {
    return redacted;
  }
  url.pathname = url.pathname
    .split('/')
    .map((s) => (s === '' || PLAIN_SEGMENT.test(s) ? s : 'REDACTED'))
    .join('/');
  return url.href;
}
