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
  | 'asset';

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
}

/** Returns the URI to write instead, or null to keep the original text. */
export type UriMapper = (ref: UriRef) => string | null;

export interface RewriteOptions {
  /** Variables of the multivariant playlist, for `EXT-X-DEFINE:IMPORT` in a media playlist. */
  readonly imports?: ReadonlyMap<string, string>;
}

/** URI-bearing attributes of each tag, with the kind of reference and whether it is a playlist. */
const ATTRIBUTE_TAGS: Readonly<
  Record<string, readonly { attr: string; kind: UriKind; playlist: boolean }[]>
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
  '#EXT-X-CONTENT-STEERING': [{ attr: 'SERVER-URI', kind: 'steering', playlist: false }],
  '#EXT-X-DATERANGE': [
    { attr: 'X-ASSET-URI', kind: 'asset', playlist: true },
    { attr: 'X-ASSET-LIST', kind: 'asset', playlist: false },
  ],
};

const VARIABLE = /\{\$([A-Za-z0-9_-]+)\}/g;

/**
 * Rewrites every URI of an HLS playlist, line by line. Relative URIs resolve against `baseUrl`
 * (the URL that finally answered, after redirects); `{$var}` references in URIs are substituted
 * first (EXT-X-DEFINE NAME/VALUE, QUERYPARAM from `baseUrl`'s query, IMPORT from `options.imports`),
 * because the player cannot substitute inside a URI it no longer sees. Non-HTTP URIs (`skd://`,
 * `data:`) and unknown tags are kept verbatim. A QUERYPARAM or IMPORT define is kept (as
 * NAME/VALUE) only while something left in the output still references it, so a token read
 * from the upstream query does not reach the player without need; in a multivariant playlist
 * QUERYPARAM defines are always kept since media playlists may import them.
 */
export function rewritePlaylist(
  text: string,
  baseUrl: string,
  map: UriMapper,
  options: RewriteOptions = {},
): string {
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
  const out: string[] = [];
  let msn = 0;
  let part = 0;
  let nextIsVariant = false;
  let variantOrdinal = 0;

  const emit = (kind: UriKind, raw: string, ident: string, playlist: boolean): string | null => {
    const substituted = raw.replace(
      VARIABLE,
      (whole, name: string) => variables.get(name) ?? whole,
    );
    let url: URL;
    try {
      url = new URL(substituted, base);
    } catch {
      return null;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
    return map({ kind, url: url.href, ident, playlist });
  };

  for (const line of lines) {
    const trimmed = line.trim();
    if (trimmed === '') {
      out.push(line);
      continue;
    }
    if (!trimmed.startsWith('#')) {
      if (nextIsVariant) {
        const replaced = emit('variant', trimmed, `variant:${variantOrdinal++}`, true);
        nextIsVariant = false;
        out.push(replaced ?? line);
      } else {
        const replaced = emit('segment', trimmed, `seg:${msn}`, false);
        msn++;
        part = 0;
        out.push(replaced ?? line);
      }
      continue;
    }
    const colon = trimmed.indexOf(':');
    const tag = colon < 0 ? trimmed : trimmed.slice(0, colon);
    const value = colon < 0 ? '' : trimmed.slice(colon + 1);
    switch (tag) {
      case '#EXT-X-MEDIA-SEQUENCE':
        msn = Number(value) || 0;
        out.push(line);
        continue;
      case '#EXT-X-SKIP': {
        // Delta update: the skipped segments still occupy sequence numbers.
        const skipped = Number(parseAttributes(value).get('SKIPPED-SEGMENTS'));
        if (Number.isInteger(skipped) && skipped > 0) msn += skipped;
        out.push(line);
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
          if (v === null) {
            out.push(line);
            continue;
          }
          variables.set(queryParam, v);
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
    let rewritten = trimmed;
    const attrs = parseAttributes(value);
    for (const spec of specs) {
      const raw = attrs.get(spec.attr);
      if (raw === undefined) continue;
      const replaced = emit(
        spec.kind,
        raw,
        identOf(tag, spec.attr, attrs, msn, part, ordinal),
        spec.playlist,
      );
      if (replaced !== null)
        rewritten = replaceAttribute(rewritten, colon + 1, spec.attr, replaced);
    }
    if (tag === '#EXT-X-PART') part++;
    out.push(rewritten === trimmed ? line : rewritten);
  }

  const unused = new Set<number>();
  for (const define of conditional) {
    const reference = `{$${define.name}}`;
    const used = out.some(
      (l, i) => i !== define.index && !l.startsWith('#EXT-X-DEFINE:') && l.includes(reference),
    );
    if (!used) unused.add(define.index);
  }
  return out.filter((_, i) => !unused.has(i)).join('\n');
}

/** Every URI of a playlist, in order (the rewriter with a mapper that only records). */
export function collectUris(text: string, baseUrl: string, options: RewriteOptions = {}): UriRef[] {
  const refs: UriRef[] = [];
  rewritePlaylist(
    text,
    baseUrl,
    (ref) => {
      refs.push(ref);
      return null;
    },
    options,
  );
  return refs;
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
