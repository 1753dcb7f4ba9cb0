/** Media types by file extension, for segments, parts and init sections. */
const MEDIA_TYPES: Readonly<Record<string, string>> = {
  ts: 'video/mp2t',
  m4s: 'video/iso.segment',
  mp4: 'video/mp4',
  m4v: 'video/mp4',
  cmfv: 'video/mp4',
  fmp4: 'video/mp4',
  m4a: 'audio/mp4',
  cmfa: 'audio/mp4',
  aac: 'audio/aac',
  mp3: 'audio/mpeg',
  ac3: 'audio/ac3',
  ec3: 'audio/eac3',
  vtt: 'text/vtt',
  webvtt: 'text/vtt',
};

export const PLAYLIST_TYPE = 'application/vnd.apple.mpegurl';
export const JSON_TYPE = 'application/json';
const BYTES_TYPE = 'application/octet-stream';

/**
 * The content type the proxy sends for a URI, chosen by what the URI is — never the origin's
 * (an origin answering `text/html` must not get markup rendered on onair's origin). `ident` is
 * the reference's `UriRef.ident` (its kind comes first), `url` the upstream URL.
 */
export function contentTypeOf(ident: string, url: string): string {
  const colon = ident.indexOf(':');
  const kind = colon < 0 ? ident : ident.slice(0, colon);
  if (kind === 'key' || kind === 'session-key') return BYTES_TYPE;
  if (kind === 'session-data') return JSON_TYPE;
  const ext = extensionOf(url);
  const type = ext === null ? undefined : MEDIA_TYPES[ext];
  if (type !== undefined) return type;
  return kind === 'map' ? 'video/mp4' : BYTES_TYPE;
}

function extensionOf(url: string): string | null {
  const q = url.search(/[?#]/);
  const path = q < 0 ? url : url.slice(0, q);
  const slash = path.lastIndexOf('/');
  const dot = path.lastIndexOf('.');
  if (dot < 0 || dot < slash) return null;
  return path.slice(dot + 1).toLowerCase();
}
