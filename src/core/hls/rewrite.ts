import { parseAttributes } from './attributes.js';

/** Which kind of reference a URI in a playlist is (PROTOCOLS.md §6.1). */
export type UriKind =
  | 'segment'
  | 'variant'
  | 'iframe'
  | 'media'
  | 'key'
  | 'session-key'
  | 'map'
  | 'session-data'
  | 'part'
  | 'preload-hint'
  | 'rendition-report'
  | 'steering'
  | 'asset'
  | 'asset-list'
  | 'prefetch';

/** One URI found in a playlist, resolved and with its variables substituted. */
export interface UriRef {
  readonly kind: UriKind;
  /** Absolute http(s) URL. */
  readonly url: string;
  /**
   * A name for this reference that survives a token refresh of the playlist: segments and parts by
   * media sequence number, keys and maps by the segment they apply to, multivariant entries by
   * their attributes or position. Used to find the same thing again in a fresh copy.
   */
  readonly ident: string;
  /** The target is itself a playlist (the proxy rewrites it too); otherwise it is bytes. */
  readonly playlist: boolean;
  /**
   * The target is a JSON document listing URIs (a content-steering manifest, an interstitial
   * asset list): the proxy rewrites it with `rewriteSteeringManifest` / `rewriteAssetList`.
   */
  readonly json?: boolean;
}

/** Returns the URI to write instead, or null to keep the original text. */
export type UriMapper = (ref: UriRef) => string | null;

export interface RewriteOptions {
  /** Variables of the multivariant playlist, for `EXT-X-DEFINE:IMPORT` in a media playlist. */
  readonly imports?: ReadonlyMap<string, string>;
}

/** URI-bearing attributes of each tag, with the kind of reference and whether it is a playlist. */
const ATTRIBUTE_TAGS: Readonly<
  Record<string, readonly { attr: string; kind: UriKind; playlist: boolean; json?: boolean }[]>
> = {
  '#EXT-X-I-FRAME-STREAM-INF': [{ attr: 'URI', kind: 'iframe', playlist: true }],
  '#EXT-X-MEDIA': [{ attr: 'URI', kind: 'media', playlist: true }],
  '#EXT-X-KEY': [{ attr: 'URI', kind: 'key', playlist: false }],
  '#EXT-X-SESSION-KEY': [{ attr: 'URI', kind: 'session-key', playlist: false }],
  '#EXT-X-MAP': [{ attr: 'URI', kind: 'map', playlist: false }],
  '#EXT-X-SESSION-DATA': [{ attr: 'URI', kind: 'session-data', playlist: false }],
  '#EXT-X-PART': [{ attr: 'URI', kind: 'part', playlist: false }],
  '#EXT-X-PRELOAD-HINT': [{ attr: 'URI', kind: 'preload-hint', playlist: false }],
  '#EXT-X-RENDITION-REPORT': [{ attr: 'URI', kind: 'rendition-report', playlist: true }],
  '#EXT-X-CONTENT-STEERING': [
    { attr: 'SERVER-URI', kind: 'steering', playlist: false, json: true },
  ],
  '#EXT-X-DATERANGE': [
    { attr: 'X-ASSET-URI', kind: 'asset', playlist: true },
    { attr: 'X-ASSET-LIST', kind: 'asset-list', playlist: false, json: true },
  ],
};

/** A variable name of EXT-X-DEFINE (RFC 8216bis §4.4.2.3). */
const VARIABLE_NAME = /^[A-Za-z0-9_-]+$/;
/** What a quoted-string may not hold (RFC 8216 §4.2): a value with any of these is not written. */
const NOT_QUOTABLE = /["\r\n]/;

/** A rewrite prepared in one pass: the URIs found, then the text with the replacements chosen for them. */
export interface RewritePlan {
  /** Every URI, in order. */
  readonly refs: readonly UriRef[];
  /** Sum of the `EXTINF` durations in seconds: the window a live media playlist covers. */
  readonly durationS: number;
  /** The playlist with `replacements[k]` for `refs[k]` (null keeps the original text). */
  render(replacements: readonly (string | null)[]): string;
}

/** An output line: as is, or built from the replacements of the refs it holds. */
type OutLine =
  string | { readonly refs: readonly number[]; build(values: readonly (string | null)[]): string };

const VARIABLE = /\{\$([A-Za-z0-9_-]+)\}/g;

/**
 * Rewrites every URI of an HLS playlist, line by line. Relative URIs resolve against `baseUrl`
 * (the URL that finally answered, after redirects); `{$var}` references in URIs are substituted
 * first (EXT-X-DEFINE NAME/VALUE, QUERYPARAM from `baseUrl`'s query, IMPORT from `options.imports`),
 * because the player cannot substitute inside a URI it no longer sees. Non-HTTP URIs (`skd://`,
 * `data:`) and unknown tags are kept verbatim. A QUERYPARAM or IMPORT define is kept (as
 * NAME/VALUE) only while something left in the output still references it, so a token read
 * from the upstream query does not reach the player without need; in a multivariant playlist
 * QUERYPARAM defines are always kept since media playlists may import them. A value that a
 * quoted-string cannot hold (`"`, CR, LF: RFC 8216 §4.2) is never written: no line can be
 * injected through a query parameter. Byte ranges without an offset (`EXT-X-BYTERANGE:<n>`, an
 * `EXT-X-PART` `BYTERANGE="<n>"`) get the offset written, since the pieces of one upstream file
 * no longer share one URI once each has its own proxy URL.
 */
export function rewritePlaylist(
  text: string,
  baseUrl: string,
  map: UriMapper,
  options: RewriteOptions = {},
): string {
  const plan = planRewrite(text, baseUrl, options);
  return plan.render(plan.refs.map(map));
}

/** Reads a playlist once for `rewritePlaylist`: the URIs it lists, and how to write it back. */
export function planRewrite(
  text: string,
  baseUrl: string,
  options: RewriteOptions = {},
): RewritePlan {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const base = new URL(baseUrl);
  const variables = new Map<string, string>();
  const multivariant = lines.some((l) => l.startsWith('#EXT-X-STREAM-INF:'));
  /** Output line index of each QUERYPARAM/IMPORT define, to drop it when nothing uses it. */
  const conditional: { index: number; name: string }[] = [];
  const ordinals = new Map<string, number>();
  const ordinal = (kind: string): number => {
    const n = ordinals.get(kind) ?? 0;
    ordinals.set(kind, n + 1);
    return n;
  };
  const refs: UriRef[] = [];
  const out: OutLine[] = [];
  let msn = 0;
  let part = 0;
  let prefetch = 0;
  let nextIsVariant = false;
  let variantOrdinal = 0;
  let durationS = 0;
  /** An `EXT-X-BYTERANGE` waiting for its segment's URI: its output index, length and offset. */
  let pendingRange: { index: number; length: number; offset: number | null } | null = null;
  /** Where the previous segment's and the previous part's sub-ranges ended, and in which file. */
  let segmentEnd: { url: string; end: number } | null = null;
  let partEnd: { url: string; end: number } | null = null;

  /** Resolves a URI; returns its index in `refs`, or -1 for one kept as written. */
  const emit = (
    kind: UriKind,
    raw: string,
    ident: string,
    playlist: boolean,
    json = false,
  ): number => {
    const substituted = raw.replace(
      VARIABLE,
      (whole, name: string) => variables.get(name) ?? whole,
    );
    let url: URL;
    try {
      url = new URL(substituted, base);
    } catch {
      return -1;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return -1;
    refs.push(
      json
        ? { kind, url: url.href, ident, playlist, json }
        : { kind, url: url.href, ident, playlist },
    );
    return refs.length - 1;
  };
  const uriLine = (line: string, k: number): OutLine =>
    k < 0 ? line : { refs: [k], build: (v) => v[0] ?? line };

  for (const line of lines) {
    const trimmed = line.trim();
    if (trimmed === '') {
      out.push(line);
      continue;
    }
    if (!trimmed.startsWith('#')) {
      if (nextIsVariant) {
        nextIsVariant = false;
        out.push(uriLine(line, emit('variant', trimmed, `variant:${variantOrdinal++}`, true)));
      } else {
        const k = emit('segment', trimmed, `seg:${msn}`, false);
        if (pendingRange !== null) {
          const url = k < 0 ? trimmed : refs[k]!.url;
          let offset = pendingRange.offset;
          if (offset === null && segmentEnd !== null && segmentEnd.url === url) {
            offset = segmentEnd.end;
            out[pendingRange.index] = `#EXT-X-BYTERANGE:${pendingRange.length}@${offset}`;
          }
          segmentEnd = offset === null ? null : { url, end: offset + pendingRange.length };
          pendingRange = null;
        } else segmentEnd = null;
        out.push(uriLine(line, k));
        msn++;
        part = 0;
        prefetch = 0;
      }
      continue;
    }
    const colon = trimmed.indexOf(':');
    const tag = colon < 0 ? trimmed : trimmed.slice(0, colon);
    const value = colon < 0 ? '' : trimmed.slice(colon + 1);
    switch (tag) {
      case '#EXTINF': {
        const seconds = Number.parseFloat(value);
        if (Number.isFinite(seconds) && seconds > 0) durationS += seconds;
        out.push(line);
        continue;
      }
      case '#EXT-X-MEDIA-SEQUENCE':
        msn = Number(value) || 0;
        out.push(line);
        continue;
      case '#EXT-X-SKIP': {
        // Delta update: the skipped segments still occupy sequence numbers.
        const skipped = Number(parseAttributes(value).get('SKIPPED-SEGMENTS'));
        if (Number.isInteger(skipped) && skipped > 0) msn += skipped;
        segmentEnd = null;
        out.push(line);
        continue;
      }
      case '#EXT-X-BYTERANGE': {
        const range = parseByteRange(value);
        pendingRange = range === null ? null : { index: out.length, ...range };
        out.push(line);
        continue;
      }
      case '#EXT-X-PREFETCH': {
        // Low-latency pre-HLS (Twitch): a segment announced before it exists, numbered as the next ones.
        const k = emit('prefetch', value, `seg:${msn + prefetch++}`, false);
        out.push(
          k < 0
            ? line
            : { refs: [k], build: (v) => (v[0] === null ? line : `#EXT-X-PREFETCH:${v[0]}`) },
        );
        continue;
      }
      case '#EXT-X-STREAM-INF':
        nextIsVariant = true;
        out.push(line);
        continue;
      case '#EXT-X-DEFINE': {
        const attrs = parseAttributes(value);
        const name = attrs.get('NAME');
        const queryParam = attrs.get('QUERYPARAM');
        const imported = attrs.get('IMPORT');
        if (name !== undefined && attrs.has('VALUE')) {
          variables.set(name, attrs.get('VALUE')!);
          out.push(line);
        } else if (queryParam !== undefined) {
          const v = base.searchParams.get(queryParam);
          if (v === null || !VARIABLE_NAME.test(queryParam)) {
            out.push(line);
            continue;
          }
          variables.set(queryParam, v);
          // Substituted into URIs (which the proxy signs) it is harmless; written, it must be quotable.
          if (NOT_QUOTABLE.test(v)) continue;
          if (!multivariant) conditional.push({ index: out.length, name: queryParam });
          out.push(`#EXT-X-DEFINE:NAME="${queryParam}",VALUE="${v}"`);
        } else if (imported !== undefined) {
          const v = options.imports?.get(imported);
          if (v !== undefined) variables.set(imported, v);
          conditional.push({ index: out.length, name: imported });
          out.push(line);
        } else {
          out.push(line);
        }
        continue;
      }
      default:
        break;
    }
    const specs = ATTRIBUTE_TAGS[tag];
    if (!specs) {
      out.push(line);
      continue;
    }
    const attrs = parseAttributes(value);
    let written = trimmed;
    if (tag === '#EXT-X-PART') {
      const uri = attrs.get('URI');
      const range = parseByteRange(attrs.get('BYTERANGE') ?? '');
      if (uri !== undefined && range !== null) {
        const url = resolveUri(
          uri.replace(VARIABLE, (w, n: string) => variables.get(n) ?? w),
          base,
        );
        let offset = range.offset;
        if (offset === null && partEnd !== null && partEnd.url === url) {
          offset = partEnd.end;
          written = replaceAttribute(written, colon + 1, 'BYTERANGE', `${range.length}@${offset}`);
        }
        partEnd = offset === null ? null : { url, end: offset + range.length };
      } else partEnd = null;
    }
    const found: { attr: string; k: number }[] = [];
    for (const spec of specs) {
      const raw = attrs.get(spec.attr);
      if (raw === undefined) continue;
      const k = emit(
        spec.kind,
        raw,
        identOf(tag, spec.attr, attrs, msn, part, ordinal),
        spec.playlist,
        spec.json === true,
      );
      if (k >= 0) found.push({ attr: spec.attr, k });
    }
    if (tag === '#EXT-X-PART') part++;
    if (found.length === 0) {
      out.push(written === trimmed ? line : written);
      continue;
    }
    const template = written;
    out.push({
      refs: found.map((f) => f.k),
      build: (v) => {
        let r = template;
        found.forEach((f, j) => {
          const replaced = v[j];
          if (replaced !== null && replaced !== undefined)
            r = replaceAttribute(r, colon + 1, f.attr, replaced);
        });
        return r === trimmed ? line : r;
      },
    });
  }

  return {
    refs,
    durationS,
    render(replacements) {
      const written = out.map((l) =>
        typeof l === 'string' ? l : l.build(l.refs.map((k) => replacements[k] ?? null)),
      );
      const unused = new Set<number>();
      for (const define of conditional) {
        const reference = `{$${define.name}}`;
        const used = written.some(
          (l, i) => i !== define.index && !l.startsWith('#EXT-X-DEFINE:') && l.includes(reference),
        );
        if (!used) unused.add(define.index);
      }
      return unused.size === 0
        ? written.join('\n')
        : written.filter((_, i) => !unused.has(i)).join('\n');
    },
  };
}

/** An absolute URL, or the text itself when it does not resolve (it then matches only itself). */
function resolveUri(uri: string, base: URL): string {
  try {
    return new URL(uri, base).href;
  } catch {
    return uri;
  }
}

/** `<n>[@<o>]` of a byte range, or null when it is not one. */
function parseByteRange(value: string): { length: number; offset: number | null } | null {
  const m = /^(\d+)(?:@(\d+))?$/.exec(value.trim());
  if (!m) return null;
  return { length: Number(m[1]), offset: m[2] === undefined ? null : Number(m[2]) };
}

/** Every URI of a playlist, in order (the rewriter with a mapper that only records). */
export function collectUris(
  text: string,
  baseUrl: string,
  options: RewriteOptions = {},
): readonly UriRef[] {
  return planRewrite(text, baseUrl, options).refs;
}

/** The variables a playlist defines with NAME/VALUE or QUERYPARAM (for its media playlists' IMPORT). */
export function playlistVariables(text: string, baseUrl: string): Map<string, string> {
  const variables = new Map<string, string>();
  const base = new URL(baseUrl);
  for (const line of text.split(/\r?\n/)) {
    if (!line.startsWith('#EXT-X-DEFINE:')) continue;
    const attrs = parseAttributes(line.slice('#EXT-X-DEFINE:'.length));
    const name = attrs.get('NAME');
    const queryParam = attrs.get('QUERYPARAM');
    if (name !== undefined && attrs.has('VALUE')) variables.set(name, attrs.get('VALUE')!);
    else if (queryParam !== undefined) {
      const v = base.searchParams.get(queryParam);
      if (v !== null) variables.set(queryParam, v);
    }
  }
  return variables;
}

/** LL-HLS delivery directives (`_HLS_msn`, `_HLS_part`, `_HLS_skip`) of a request's query, in order. */
export function deliveryDirectives(query: Readonly<Record<string, unknown>>): [string, string][] {
  const directives: [string, string][] = [];
  for (const [key, value] of Object.entries(query)) {
    if (key.startsWith('_HLS_') && typeof value === 'string') directives.push([key, value]);
  }
  return directives;
}

/** The upstream URL with the player's delivery directives appended, unchanged. */
export function withDirectives(
  url: string,
  directives: readonly (readonly [string, string])[],
): string {
  if (directives.length === 0) return url;
  const parsed = new URL(url);
  for (const [key, value] of directives) parsed.searchParams.set(key, value);
  return parsed.href;
}

function identOf(
  tag: string,
  attr: string,
  attrs: ReadonlyMap<string, string>,
  msn: number,
  part: number,
  ordinal: (kind: string) => number,
): string {
  switch (tag) {
    case '#EXT-X-MEDIA':
      return `media:${attrs.get('TYPE') ?? ''}:${attrs.get('GROUP-ID') ?? ''}:${attrs.get('NAME') ?? ''}`;
    case '#EXT-X-I-FRAME-STREAM-INF':
      return `iframe:${ordinal('iframe')}`;
    case '#EXT-X-KEY':
      return `key:${msn}:${ordinal(`key:${msn}`)}`;
    case '#EXT-X-MAP':
      return `map:${msn}`;
    case '#EXT-X-PART':
      return `part:${msn}:${part}`;
    case '#EXT-X-PRELOAD-HINT':
      return `hint:${attrs.get('TYPE') ?? ''}:${msn}:${part}`;
    case '#EXT-X-RENDITION-REPORT':
      return `report:${ordinal('report')}`;
    case '#EXT-X-SESSION-KEY':
      return `session-key:${ordinal('session-key')}`;
    case '#EXT-X-SESSION-DATA':
      return `session-data:${attrs.get('DATA-ID') ?? ''}:${attrs.get('LANGUAGE') ?? ''}`;
    case '#EXT-X-CONTENT-STEERING':
      return 'steering';
    default:
      return `${tag.slice(1).toLowerCase()}:${attrs.get('ID') ?? ''}:${attr}`;
  }
}

/**
 * Replaces the value of attribute `name` in a tag line, leaving every other byte as it was.
 * `start` is where the attribute list begins. Quoted values stay quoted.
 */
function replaceAttribute(line: string, start: number, name: string, value: string): string {
  let i = start;
  while (i < line.length) {
    const eq = line.indexOf('=', i);
    if (eq < 0) return line;
    const key = line.slice(i, eq).trim();
    const quoted = line[eq + 1] === '"';
    let end: number;
    if (quoted) {
      const close = line.indexOf('"', eq + 2);
      end = close < 0 ? line.length : close + 1;
    } else {
      const comma = line.indexOf(',', eq + 1);
      end = comma < 0 ? line.length : comma;
    }
    if (key === name)
      return `${line.slice(0, eq + 1)}${quoted ? `"${value}"` : value}${line.slice(end)}`;
    const comma = line.indexOf(',', end);
    if (comma < 0) return line;
    i = comma + 1;
  }
  return line;
}
