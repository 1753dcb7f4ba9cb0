import type { UriKind, UriMapper, UriRef } from './rewrite.js';

/**
 * JSON documents a playlist points to whose URIs the proxy rewrites: a content-steering manifest
 * (HLS Content Steering 1.2: `RELOAD-URI`, `PATHWAY-CLONES[].URI-REPLACEMENT`) and an
 * interstitial asset list (RFC 8216bis Appendix D: `ASSETS[].URI`).
 */
export type JsonDocument = 'steering' | 'asset-list';

/** Which JSON document a reference's ident names, if any (see `UriRef.ident`). */
export function jsonDocumentOf(ident: string): JsonDocument | null {
  if (ident === 'steering') return 'steering';
  if (ident.startsWith('ext-x-daterange:') && ident.endsWith(':X-ASSET-LIST')) return 'asset-list';
  return null;
}

export type JsonRewrite =
  { readonly ok: true; readonly body: string } | { readonly ok: false; readonly error: string };

/**
 * Rewrites a content-steering manifest: `RELOAD-URI` becomes a proxy URL of the manifest,
 * `PER-VARIANT-URIS` and `PER-RENDITION-URIS` of each pathway clone become proxy playlist URLs,
 * and a clone's `HOST` replacement is dropped (applied to a proxy URL it would send the player
 * past the proxy); the clone then mirrors its base pathway through the proxy.
 */
export function rewriteSteeringManifest(
  text: string,
  baseUrl: string,
  map: UriMapper,
): JsonRewrite {
  const doc = parseObject(text);
  if (doc === null) return { ok: false, error: 'not a JSON object' };
  const base = new URL(baseUrl);
  const reload = doc['RELOAD-URI'];
  if (typeof reload === 'string') {
    const replaced = mapUri(map, base, reload, 'steering', 'steering', false, true);
    if (replaced === null) delete doc['RELOAD-URI'];
    else doc['RELOAD-URI'] = replaced;
  }
  const clones = doc['PATHWAY-CLONES'];
  if (Array.isArray(clones)) {
    for (const clone of clones as unknown[]) {
      if (!isObject(clone)) continue;
      const replacement = clone['URI-REPLACEMENT'];
      if (!isObject(replacement)) continue;
      delete replacement['HOST'];
      const id = typeof clone['ID'] === 'string' ? clone['ID'] : '';
      for (const [field, kind] of [
        ['PER-VARIANT-URIS', 'variant'],
        ['PER-RENDITION-URIS', 'media'],
      ] as const) {
        const uris = replacement[field];
        if (!isObject(uris)) continue;
        const kept: JsonObject = {};
        for (const [stableId, uri] of Object.entries(uris)) {
          const replaced =
            typeof uri === 'string'
              ? mapUri(map, base, uri, kind, `steering:${id}:${field}:${stableId}`, true, false)
              : null;
          if (replaced !== null) kept[stableId] = replaced;
        }
        replacement[field] = kept;
      }
    }
  }
  return { ok: true, body: JSON.stringify(doc) };
}

/** Rewrites an interstitial asset list: each `ASSETS[].URI` becomes a proxy playlist URL. */
export function rewriteAssetList(text: string, baseUrl: string, map: UriMapper): JsonRewrite {
  const doc = parseObject(text);
  if (doc === null) return { ok: false, error: 'not a JSON object' };
  const base = new URL(baseUrl);
  const assets = doc['ASSETS'];
  if (Array.isArray(assets)) {
    doc['ASSETS'] = (assets as unknown[]).filter((asset, i) => {
      if (!isObject(asset) || typeof asset['URI'] !== 'string') return false;
      const replaced = mapUri(map, base, asset['URI'], 'asset', `asset:${i}`, true, false);
      if (replaced === null) return false;
      asset['URI'] = replaced;
      return true;
    });
  }
  return { ok: true, body: JSON.stringify(doc) };
}

/** A URI mapped, or null when it is not an http(s) URL or the mapper declines (it is then left out). */
function mapUri(
  map: UriMapper,
  base: URL,
  raw: string,
  kind: UriKind,
  ident: string,
  playlist: boolean,
  json: boolean,
): string | null {
  let url: URL;
  try {
    url = new URL(raw, base);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  const ref: UriRef = json
    ? { kind, url: url.href, ident, playlist, json }
    : { kind, url: url.href, ident, playlist };
  return map(ref);
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseObject(text: string): JsonObject | null {
  try {
    const value: unknown = JSON.parse(text);
    return isObject(value) ? value : null;
  } catch {
    return null;
  }
}
