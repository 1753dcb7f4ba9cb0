import { parseAttributes } from './attributes.js';

export interface Variant {
  /** As written in the playlist (may be relative). */
  readonly uri: string;
  readonly bandwidth: number | null;
  readonly width: number | null;
  readonly height: number | null;
  readonly name: string | null;
}

export type Playlist =
  | { readonly kind: 'master'; readonly variants: readonly Variant[] }
  | {
      readonly kind: 'media';
      readonly targetDuration: number | null;
      readonly mediaSequence: number;
      readonly endList: boolean;
      readonly segmentCount: number;
      /** The last segment's URI without its query (tokens change, the segment does not); null when empty. */
      readonly lastUri: string | null;
      /** Sum of the `EXTINF` durations, seconds: the window a live playlist covers. */
      readonly durationS: number;
    };

export type ParseResult =
  | { readonly ok: true; readonly playlist: Playlist }
  | { readonly ok: false; readonly error: string };

/** Reads just enough of an HLS playlist to tell a multivariant from a media playlist and its liveness. */
export function parsePlaylist(text: string): ParseResult {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  if (lines[0]?.trim() !== '#EXTM3U')
    return { ok: false, error: 'not an HLS playlist (no #EXTM3U)' };
  const variants: Variant[] = [];
  let pending: Map<string, string> | null = null;
  let targetDuration: number | null = null;
  let mediaSequence = 0;
  let endList = false;
  let segmentCount = 0;
  let lastUri: string | null = null;
  let sawSegmentTag = false;
  let durationS = 0;
  for (const raw of lines.slice(1)) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('#EXT-X-STREAM-INF:')) {
      pending = parseAttributes(line.slice('#EXT-X-STREAM-INF:'.length));
    } else if (line.startsWith('#EXT-X-TARGETDURATION:')) {
      targetDuration = Number(line.slice('#EXT-X-TARGETDURATION:'.length)) || null;
    } else if (line.startsWith('#EXT-X-MEDIA-SEQUENCE:')) {
      mediaSequence = Number(line.slice('#EXT-X-MEDIA-SEQUENCE:'.length)) || 0;
    } else if (line === '#EXT-X-ENDLIST') {
      endList = true;
    } else if (line.startsWith('#EXTINF:')) {
      sawSegmentTag = true;
      const seconds = Number.parseFloat(line.slice('#EXTINF:'.length));
      if (Number.isFinite(seconds) && seconds > 0) durationS += seconds;
    } else if (!line.startsWith('#')) {
      if (pending) {
        variants.push(variantOf(line, pending));
        pending = null;
      } else if (sawSegmentTag) {
        segmentCount++;
        lastUri = line.split('?')[0] ?? line;
        sawSegmentTag = false;
      }
    }
  }
  if (variants.length > 0) return { ok: true, playlist: { kind: 'master', variants } };
  return {
    ok: true,
    playlist: {
      kind: 'media',
      targetDuration,
      mediaSequence,
      endList,
      segmentCount,
      lastUri,
      durationS,
    },
  };
}

function variantOf(uri: string, attributes: Map<string, string>): Variant {
  const [w, h] = (attributes.get('RESOLUTION') ?? '').split('x').map(Number);
  const bandwidth = Number(attributes.get('BANDWIDTH'));
  return {
    uri,
    bandwidth: Number.isFinite(bandwidth) && bandwidth > 0 ? bandwidth : null,
    width: w !== undefined && Number.isFinite(w) && w > 0 ? w : null,
    height: h !== undefined && Number.isFinite(h) && h > 0 ? h : null,
    name: attributes.get('NAME') ?? null,
  };
}
