/** Query parameter names whose values are secrets (tokens, signatures, keys). */
const SECRET_PARAM =
  /(token|sig|signature|key|secret|auth|pass|password|hmac|md5|hdnts|policy|credential|session|jwt)/i;

/**
 * A URL safe to log or show: user info and secret-looking query values replaced by `REDACTED`.
 * Like alertmanager's RedactURL. Anything unparsable is returned as a placeholder.
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
  for (const key of [...url.searchParams.keys()]) {
    if (SECRET_PARAM.test(key)) url.searchParams.set(key, 'REDACTED');
  }
  return url.href;
}
