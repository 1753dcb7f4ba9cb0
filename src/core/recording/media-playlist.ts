import { parseAttributes } from '../hls/attributes.js';

/** One media segment of a media playlist, identified by its media sequence number (PROTOCOLS.md §6.4). */
export interface Segment {
  /** Media sequence number. */
  readonly msn: number;
  /** Discontinuity sequence number. */
  readonly dsn: number;
  /** As written (may be relative). */
  readonly uri: string;
  /** Seconds, from `#EXTINF`. */
  readonly duration: number;
  /** `#EXT-X-GAP`: no media here; fetching it may fail. */
  readonly gap: boolean;
  /** `#EXT-X-BYTERANGE` resolved to an absolute `start-end` (inclusive) HTTP range, if any. */
  readonly range: string | null;
  /** The init segment (`#EXT-X-MAP`) in force, with its range: fMP4/CMAF. */
  readonly map: { readonly uri: string; readonly range: string | null } | null;
  /** `#EXT-X-PROGRAM-DATE-TIME` in epoch ms, when given for this segment. */
  readonly programDateTime: number | null;
  /** Encrypted (`#EXT-X-KEY` with a method other than NONE): a recorder cannot write it as is. */
  readonly encrypted: boolean;
  /** The `#EXT-X-KEY` in force when encrypted; null when not. */
  readonly key: SegmentKey | null;
  /** An `#EXT-X-DISCONTINUITY` tag stands right before this segment. */
  readonly discontinuity: boolean;
}

/** How a segment is encrypted (RFC 8216 §4.3.2.4). */
export interface SegmentKey {
  /** `AES-128`, `SAMPLE-AES`, `SAMPLE-AES-CTR`, … as written. */
  readonly method: string;
  /** As written (may be relative); `skd://…` for FairPlay DRM. */
  readonly uri: string | null;
  /** 16 bytes from the `IV` attribute; null: the IV is the media sequence number. */
  readonly iv: Uint8Array | null;
  /** `KEYFORMAT`, `identity` when absent. */
  readonly format: string;
}

/** The 16-byte IV of an `IV=0x…` attribute, or null when it is not 32 hex digits. */
function ivOf(value: string | undefined): Uint8Array | null {
  if (value === undefined) return null;
  const hex = /^0[xX]([0-9a-fA-F]{1,32})$/.exec(value.trim())?.[1];
  if (hex === undefined) return null;
  const bytes = new Uint8Array(16);
  const padded = hex.padStart(32, '0');
  for (let i = 0; i < 16; i++) bytes[i] = Number.parseInt(padded.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

/** The IV of a segment without an `IV` attribute: its media sequence number, big-endian in 16 bytes. */
export function sequenceIv(msn: number): Uint8Array {
  const bytes = new Uint8Array(16);
  let rest = BigInt(msn);
  for (let i = 15; i >= 0 && rest > 0n; i--) {
    bytes[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return bytes;
}

export interface MediaPlaylist {
  /** Seconds. */
  readonly targetDuration: number;
  readonly mediaSequence: number;
  readonly discontinuitySequence: number;
  readonly endList: boolean;
  readonly segments: readonly Segment[];
}

export type MediaParse =
  | { readonly ok: true; readonly playlist: MediaPlaylist }
  | { readonly ok: false; readonly error: string; readonly multivariant: boolean };

function rangeOf(spec: string, previousEnd: number | null): { range: string; end: number } | null {
  const match = /^(\d+)(?:@(\d+))?$/.exec(spec.trim());
  if (!match) return null;
  const length = Number(match[1]);
  const start = match[2] !== undefined ? Number(match[2]) : previousEnd;
  if (start === null || length <= 0) return null;
  return { range: `${start}-${start + length - 1}`, end: start + length };
}

/** Parses an HLS media playlist into its segments with their MSN and DSN. */
export function parseMediaPlaylist(text: string): MediaParse {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  if (lines[0]?.trim() !== '#EXTM3U')
    return { ok: false, error: 'not an HLS playlist (no #EXTM3U)', multivariant: false };
  let targetDuration: number | null = null;
  let mediaSequence = 0;
  let discontinuitySequence = 0;
  let endList = false;
  const segments: Segment[] = [];
  let duration: number | null = null;
  let discontinuities = 0;
  let gap = false;
  let range: string | null = null;
  let lastRangeEnd: number | null = null;
  let map: Segment['map'] = null;
  let pdt: number | null = null;
  let key: SegmentKey | null = null;
  let discontinuity = false;
  for (const raw of lines.slice(1)) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('#EXT-X-STREAM-INF:'))
      return {
        ok: false,
        error: 'a multivariant playlist, not a media playlist',
        multivariant: true,
      };
    if (line.startsWith('#EXT-X-TARGETDURATION:')) targetDuration = Number(line.slice(22)) || null;
    else if (line.startsWith('#EXT-X-MEDIA-SEQUENCE:')) mediaSequence = Number(line.slice(22)) || 0;
    else if (line.startsWith('#EXT-X-DISCONTINUITY-SEQUENCE:'))
      discontinuitySequence = Number(line.slice(30)) || 0;
    else if (line === '#EXT-X-DISCONTINUITY') {
      discontinuities++;
      discontinuity = true;
    } else if (line === '#EXT-X-ENDLIST') endList = true;
    else if (line === '#EXT-X-GAP') gap = true;
    else if (line.startsWith('#EXTINF:')) duration = Number.parseFloat(line.slice(8)) || 0;
    else if (line.startsWith('#EXT-X-PROGRAM-DATE-TIME:')) {
      const at = Date.parse(line.slice(25));
      pdt = Number.isNaN(at) ? null : at;
    } else if (line.startsWith('#EXT-X-BYTERANGE:')) {
      const r = rangeOf(line.slice(17), lastRangeEnd);
      range = r?.range ?? null;
      lastRangeEnd = r?.end ?? null;
    } else if (line.startsWith('#EXT-X-MAP:')) {
      const attrs = parseAttributes(line.slice(11));
      const uri = attrs.get('URI');
      const byterange = attrs.get('BYTERANGE');
      map =
        uri === undefined
          ? null
          : { uri, range: byterange === undefined ? null : (rangeOf(byterange, 0)?.range ?? null) };
    } else if (line.startsWith('#EXT-X-KEY:')) {
      const attrs = parseAttributes(line.slice(11));
      const method = attrs.get('METHOD') ?? 'NONE';
      key =
        method === 'NONE'
          ? null
          : {
              method,
              uri: attrs.get('URI') ?? null,
              iv: ivOf(attrs.get('IV')),
              format: attrs.get('KEYFORMAT') ?? 'identity',
            };
    } else if (!line.startsWith('#') && duration !== null) {
      segments.push({
        msn: mediaSequence + segments.length,
        dsn: discontinuitySequence + discontinuities,
        uri: line,
        duration,
        gap,
        range,
        map,
        programDateTime: pdt,
        encrypted: key !== null,
        key,
        discontinuity,
      });
      duration = null;
      discontinuity = false;
      gap = false;
      range = null;
      pdt = null;
    }
  }
  if (targetDuration === null)
    return {
      ok: false,
      error: 'media playlist without #EXT-X-TARGETDURATION',
      multivariant: false,
    };
  return {
    ok: true,
    playlist: { targetDuration, mediaSequence, discontinuitySequence, endList, segments },
  };
}

/** Owncast's end-of-stream clip (`offline.ts`, `offline-v2.ts`, `offline-v2.m4s`, PROTOCOLS.md §1.4). */
export function isOfflineClip(segment: Segment): boolean {
  const name = segment.uri.split('?')[0]!.split('/').pop() ?? '';
  const map = segment.map?.uri.split('?')[0]!.split('/').pop() ?? '';
  return name.startsWith('offline') || map.startsWith('offline');
}
