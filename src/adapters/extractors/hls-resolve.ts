import { parsePlaylist } from '../../core/hls/playlist.js';
import { redactUrl } from '../../core/redact.js';
import type { HttpClient } from '../../ports/http-client.js';
import type { ResolveResult, StreamSource } from '../../ports/extractor.js';

export interface ExtractorHttp {
  readonly http: HttpClient;
  readonly timeoutMs: number;
  readonly maxBytes: number;
}

/**
 * Resolves an HLS URL into sources: a media playlist is one source (`best`); a multivariant
 * playlist gives one source per variant, best (highest bandwidth) first, and is kept as `master`.
 * Redirects are followed — CDNs often hand out their token that way — and relative variant URIs
 * resolve against the URL that finally answered.
 */
export async function resolveHls(
  deps: ExtractorHttp,
  url: string,
  signal: AbortSignal,
  title?: string,
): Promise<ResolveResult> {
  const res = await deps.http.request(url, {
    timeoutMs: deps.timeoutMs,
    maxBytes: deps.maxBytes,
    maxRedirects: 5,
    signal,
  });
  if (!res.ok) return { ok: false, reason: res.error, retryable: res.reason !== 'badUrl' };
  if (res.status !== 200) {
    return {
      ok: false,
      reason: `${redactUrl(url)} answered HTTP ${res.status}`,
      retryable: res.status >= 500 || res.status === 429 || res.status === 408,
    };
  }
  const parsed = parsePlaylist(res.body.toString('utf8'));
  if (!parsed.ok) return { ok: false, reason: parsed.error, retryable: false };
  const titled = title === undefined ? {} : { title };
  if (parsed.playlist.kind === 'media')
    return { ok: true, sources: [{ url: res.url, quality: 'best', ...titled }] };
  const used = new Set<string>();
  const sources: StreamSource[] = [...parsed.playlist.variants]
    .sort((a, b) => (b.bandwidth ?? 0) - (a.bandwidth ?? 0))
    .map((v, i) => {
      let quality =
        v.name ??
        (v.height !== null
          ? `${v.height}p`
          : v.bandwidth !== null
            ? `${Math.round(v.bandwidth / 1000)}k`
            : `variant${i}`);
      if (used.has(quality)) quality = `${quality}-${i}`;
      used.add(quality);
      return {
        url: new URL(v.uri, res.url).href,
        quality,
        ...titled,
        ...(v.width !== null ? { width: v.width } : {}),
        ...(v.height !== null ? { height: v.height } : {}),
        ...(v.bandwidth !== null ? { bandwidth: v.bandwidth } : {}),
      };
    });
  if (sources.length === 0)
    return { ok: false, reason: 'multivariant playlist has no variants', retryable: false };
  return { ok: true, sources, master: res.url };
}
