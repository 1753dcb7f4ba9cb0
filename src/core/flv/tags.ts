/**
 * FLV tag stream parsing and writing (PROTOCOLS.md §6.5): the 9-byte file header, then tags of
 * an 11-byte header, data and a UI32 PreviousTagSize. Pure: bytes in, values out.
 */

export const TAG_AUDIO = 8;
export const TAG_VIDEO = 9;
export const TAG_SCRIPT = 18;

/** What a tag's first data bytes say, as far as splitting a live stream needs to know. */
export type TagInfo =
  | {
      readonly kind: 'video';
      /** `avc1`, `hvc1`, `av01`… (legacy codec ids are mapped to their FourCC), or `codec<N>`. */
      readonly codec: string;
      /** A decoder configuration record (AVC/HEVC sequence header, E-RTMP SequenceStart). */
      readonly config: boolean;
      readonly keyframe: boolean;
    }
  | { readonly kind: 'audio'; readonly codec: string; readonly config: boolean }
  | { readonly kind: 'script' }
  | { readonly kind: 'other' };

export interface FlvTag {
  /** 8 audio, 9 video, 18 script, anything else passed through. */
  readonly type: number;
  /** The whole first header byte (reserved and filter bits included), kept when rewriting. */
  readonly flags: number;
  /** Milliseconds, 32 bits (TimestampExtended is the high byte). */
  readonly timestamp: number;
  readonly data: Uint8Array;
  readonly info: TagInfo;
}

export interface FlvHeader {
  readonly audio: boolean;
  readonly video: boolean;
}

export type FlvEvent =
  | { readonly kind: 'header'; readonly header: FlvHeader }
  | { readonly kind: 'tag'; readonly tag: FlvTag }
  /** Bytes that were not a valid tag were skipped to find the next one. */
  | { readonly kind: 'resync'; readonly skipped: number }
  /** The stream is not FLV at all; the demuxer reads nothing more. */
  | { readonly kind: 'invalid'; readonly reason: string };

/** Legacy video CodecID → FourCC (12–14 are the widely used Chinese-CDN extension). */
const LEGACY_VIDEO: Readonly<Record<number, string>> = {
  7: 'avc1',
  12: 'hvc1',
  13: 'av01',
  14: 'vvc1',
};
const LEGACY_AUDIO: Readonly<Record<number, string>> = { 10: 'mp4a', 2: '.mp3' };

function fourcc(data: Uint8Array, at: number): string {
  return String.fromCharCode(
    data[at] ?? 0,
    data[at + 1] ?? 0,
    data[at + 2] ?? 0,
    data[at + 3] ?? 0,
  );
}

/** Reads what a tag's data says about codec, configuration and keyframes. */
export function tagInfo(type: number, data: Uint8Array): TagInfo {
  const first = data[0];
  if (type === TAG_SCRIPT) return { kind: 'script' };
  if (first === undefined) return { kind: 'other' };
  if (type === TAG_VIDEO) {
    if ((first & 0x80) !== 0) {
      // Enhanced RTMP: bits 4–6 FrameType, low 4 bits VideoPacketType, then a FourCC.
      const frameType = (first >> 4) & 0x07;
      const packetType = first & 0x0f;
      return {
        kind: 'video',
        codec: fourcc(data, 1),
        config: packetType === 0,
        keyframe: frameType === 1 && (packetType === 1 || packetType === 3),
      };
    }
    const frameType = first >> 4;
    const codecId = first & 0x0f;
    const codec = LEGACY_VIDEO[codecId] ?? `codec${codecId}`;
    const packetType = codecId in LEGACY_VIDEO ? data[1] : 1;
    return {
      kind: 'video',
      codec,
      config: packetType === 0,
      keyframe: (frameType === 1 || frameType === 4) && packetType === 1,
    };
  }
  if (type === TAG_AUDIO) {
    const format = first >> 4;
    if (format === 9) {
      // Enhanced RTMP audio: low 4 bits AudioPacketType (0 SequenceStart), then a FourCC.
      return { kind: 'audio', codec: fourcc(data, 1), config: (first & 0x0f) === 0 };
    }
    return {
      kind: 'audio',
      codec: LEGACY_AUDIO[format] ?? `format${format}`,
      config: format === 10 && data[1] === 0,
    };
  }
  return { kind: 'other' };
}

function u24(b: Uint8Array, at: number): number {
  return (b[at]! << 16) | (b[at + 1]! << 8) | b[at + 2]!;
}

function u32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) >>> 0) + (b[at + 1]! << 16) + (b[at + 2]! << 8) + b[at + 3]!;
}

/** Largest tag accepted; anything bigger is taken for corruption (a 4K keyframe is well below). */
const MAX_TAG_DATA = 16 * 1_048_576;

/**
 * An incremental FLV demuxer: feed it chunks as they arrive, get header and tag events back.
 * A tag whose PreviousTagSize does not match, or whose header is implausible, makes it skip
 * forward byte by byte to the next plausible tag (a `resync` event says how much was lost).
 */
export class FlvDemuxer {
  private pending: Uint8Array = new Uint8Array(0);
  private headerRead = false;
  private failed = false;
  /** Bytes skipped since the last good tag (a resync may span several chunks). */
  private skipped = 0;

  push(chunk: Uint8Array): FlvEvent[] {
    if (this.failed) return [];
    const buffer = this.pending.length === 0 ? chunk : concat(this.pending, chunk);
    const events: FlvEvent[] = [];
    let at = 0;
    if (!this.headerRead) {
      if (buffer.length < 13) {
        this.pending = buffer;
        return events;
      }
      const dataOffset = u32(buffer, 5);
      if (
        buffer[0] !== 0x46 ||
        buffer[1] !== 0x4c ||
        buffer[2] !== 0x56 ||
        dataOffset < 9 ||
        dataOffset > 1024
      ) {
        this.failed = true;
        this.pending = new Uint8Array(0);
        return [{ kind: 'invalid', reason: 'not an FLV stream (no FLV header)' }];
      }
      if (buffer.length < dataOffset + 4) {
        this.pending = buffer;
        return events;
      }
      const flags = buffer[4]!;
      events.push({
        kind: 'header',
        header: { audio: (flags & 0x04) !== 0, video: (flags & 0x01) !== 0 },
      });
      at = dataOffset + 4;
      this.headerRead = true;
    }
    while (buffer.length - at >= 11) {
      const type = buffer[at]! & 0x1f;
      const size = u24(buffer, at + 1);
      const plausible =
        (type === TAG_AUDIO || type === TAG_VIDEO || type === TAG_SCRIPT) &&
        size <= MAX_TAG_DATA &&
        u24(buffer, at + 8) === 0;
      if (!plausible) {
        at++;
        this.skipped++;
        continue;
      }
      const end = at + 11 + size + 4;
      if (buffer.length < end) break;
      if (u32(buffer, end - 4) !== 11 + size) {
        at++;
        this.skipped++;
        continue;
      }
      if (this.skipped > 0) {
        events.push({ kind: 'resync', skipped: this.skipped });
        this.skipped = 0;
      }
      const timestamp = (u24(buffer, at + 4) | (buffer[at + 7]! << 24)) >>> 0;
      const data = buffer.subarray(at + 11, at + 11 + size);
      events.push({
        kind: 'tag',
        tag: { type, flags: buffer[at]!, timestamp, data, info: tagInfo(type, data) },
      });
      at = end;
    }
    // Keep only the unread tail; copy it so the big chunk it came from can be collected.
    this.pending = at === buffer.length ? new Uint8Array(0) : Uint8Array.from(buffer.subarray(at));
    return events;
  }

  /** Bytes received but not yet part of a complete tag. */
  get buffered(): number {
    return this.pending.length;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** The 9-byte FLV header followed by PreviousTagSize0. */
export function flvHeader(header: FlvHeader): Uint8Array {
  return Uint8Array.of(
    0x46,
    0x4c,
    0x56,
    0x01,
    (header.audio ? 0x04 : 0) | (header.video ? 0x01 : 0),
    0,
    0,
    0,
    9,
    0,
    0,
    0,
    0,
  );
}

/** One tag with its PreviousTagSize, at `timestamp` (ms, wrapped to 32 bits). */
export function writeTag(flags: number, timestamp: number, data: Uint8Array): Uint8Array {
  const size = data.length;
  const out = new Uint8Array(11 + size + 4);
  const ts = timestamp >>> 0;
  out[0] = flags;
  out[1] = (size >> 16) & 0xff;
  out[2] = (size >> 8) & 0xff;
  out[3] = size & 0xff;
  out[4] = (ts >> 16) & 0xff;
  out[5] = (ts >> 8) & 0xff;
  out[6] = ts & 0xff;
  out[7] = (ts >>> 24) & 0xff;
  out.set(data, 11);
  const total = 11 + size;
  out[11 + size] = (total >>> 24) & 0xff;
  out[12 + size] = (total >> 16) & 0xff;
  out[13 + size] = (total >> 8) & 0xff;
  out[14 + size] = total & 0xff;
  return out;
}
