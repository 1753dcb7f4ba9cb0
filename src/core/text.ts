/**
 * String helpers that stay linear on hostile input and never split a character: platform titles,
 * channel URLs and template values come from people we do not control.
 */

/** `url` without its trailing `/`s, in one backwards pass (`/\/+$/` is quadratic on many `/`). */
export function trimTrailingSlashes(url: string): string {
  let end = url.length;
  while (end > 0 && url.charCodeAt(end - 1) === 0x2f) end--;
  return url.slice(0, end);
}

/**
 * `text` made well-formed: a lone surrogate (half of a pair cut elsewhere) becomes U+FFFD, so
 * file systems, JSON and providers see the same characters we stored.
 */
export function wellFormed(text: string): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    const next = text.charCodeAt(i + 1);
    if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      i++;
      continue;
    }
    out += `${text.slice(from, i)}\uFFFD`;
    from = i + 1;
  }
  return from === 0 ? text : out + text.slice(from);
}

/**
 * At most `max` UTF-16 code units of `text`, cut before a code point (never inside a surrogate
 * pair); `ellipsis` (counted in `max`) marks a cut. The result is well-formed.
 */
export function clipUnits(text: string, max: number, ellipsis = ''): string {
  const clean = wellFormed(text);
  if (clean.length <= max) return clean;
  let end = Math.max(0, max - ellipsis.length);
  const c = clean.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return clean.slice(0, end) + (max >= ellipsis.length ? ellipsis : '');
}

/** At most `max` UTF-8 bytes of `text`, cut before a code point; `ellipsis` counted in `max`. */
export function clipUtf8(text: string, max: number, ellipsis = ''): string {
  const clean = wellFormed(text);
  if (Buffer.byteLength(clean) <= max) return clean;
  const budget = Math.max(0, max - Buffer.byteLength(ellipsis));
  let bytes = 0;
  let end = 0;
  for (const ch of clean) {
    const size = Buffer.byteLength(ch);
    if (bytes + size > budget) break;
    bytes += size;
    end += ch.length;
  }
  return clean.slice(0, end) + (max >= Buffer.byteLength(ellipsis) ? ellipsis : '');
}
