import { flvHeader, writeTag, type FlvEvent, type FlvHeader, type FlvTag } from './tags.js';

/** Why a part ended. */
export type SplitReason = 'videoConfig' | 'audioConfig' | 'timestampJump';

/** What to do with the output files, in order. */
export type SplitAction =
  /** Start a new part file with these bytes (header, metadata, decoder configurations). */
  | {
      readonly kind: 'open';
      readonly bytes: Uint8Array;
      readonly video: string | null;
      readonly audio: string | null;
    }
  /** Append to the open part; `at` is the rebased timestamp (ms from the part's start). */
  | { readonly kind: 'write'; readonly bytes: Uint8Array; readonly at: number }
  /** End the open part. */
  | { readonly kind: 'close'; readonly reason: SplitReason };

export interface SplitterOptions {
  /** A forward jump larger than this between media tags starts a new part (a publisher reconnect). */
  readonly maxForwardJumpMs: number;
  /** A backward step larger than this starts a new part (audio may lag video by a little). */
  readonly maxBackwardJumpMs: number;
}

export const DEFAULT_SPLITTER: SplitterOptions = {
  maxForwardJumpMs: 10_000,
  maxBackwardJumpMs: 1_000,
};

interface Cached {
  readonly flags: number;
  readonly data: Uint8Array;
  readonly codec: string;
}

/**
 * Cuts a live FLV tag stream into parts that each play on their own (PROTOCOLS.md §6.5): every
 * part is a fresh header, the latest onMetaData and decoder configurations, then media from a
 * video keyframe on, with timestamps rebased so the part starts at 0. A new part starts when a
 * video or audio configuration arrives whose bytes differ from the cached one — an identical
 * re-send changes nothing — and on large timestamp jumps. Pure: tags in, actions out.
 */
export class FlvSplitter {
  private readonly options: SplitterOptions;
  private header: FlvHeader | null = null;
  private video: Cached | null = null;
  private audio: Cached | null = null;
  private metadata: { flags: number; data: Uint8Array } | null = null;
  private open = false;
  private base = 0;
  private last = 0;

  constructor(options: SplitterOptions = DEFAULT_SPLITTER) {
    this.options = options;
  }

  /** Whether a part is open (media is being written). */
  get writing(): boolean {
    return this.open;
  }

  push(event: FlvEvent): SplitAction[] {
    switch (event.kind) {
      case 'header':
        this.header = event.header;
        return [];
      case 'resync':
      case 'invalid':
        return [];
      case 'tag':
        return this.tag(event.tag);
    }
  }

  private tag(tag: FlvTag): SplitAction[] {
    const info = tag.info;
    if (info.kind === 'script') {
      // Kept for the next part's start; a mid-part onMetaData carries nothing a player needs.
      this.metadata = { flags: tag.flags, data: tag.data };
      return [];
    }
    if ((info.kind === 'video' || info.kind === 'audio') && info.config) {
      const cached = info.kind === 'video' ? this.video : this.audio;
      if (cached !== null && equal(cached.data, tag.data)) return [];
      const next = { flags: tag.flags, data: tag.data, codec: info.codec };
      if (info.kind === 'video') this.video = next;
      else this.audio = next;
      if (cached === null || !this.open) return [];
      this.open = false;
      return [{ kind: 'close', reason: info.kind === 'video' ? 'videoConfig' : 'audioConfig' }];
    }
    const actions: SplitAction[] = [];
    if (this.open) {
      const step = tag.timestamp - this.last;
      if (step > this.options.maxForwardJumpMs || step < -this.options.maxBackwardJumpMs) {
        this.open = false;
        actions.push({ kind: 'close', reason: 'timestampJump' });
      }
    }
    if (!this.open) {
      if (!this.mayStartWith(tag)) return actions;
      actions.push({
        kind: 'open',
        bytes: this.partStart(),
        video: this.video?.codec ?? null,
        audio: this.audio?.codec ?? null,
      });
      this.open = true;
      this.base = tag.timestamp;
      this.last = tag.timestamp;
    }
    const at = tag.timestamp - this.base;
    // Audio captured just before the first keyframe would play before zero: drop it.
    if (at < 0) return actions;
    if (tag.timestamp > this.last) this.last = tag.timestamp;
    actions.push({ kind: 'write', bytes: writeTag(tag.flags, at, tag.data), at });
    return actions;
  }

  private hasVideo(): boolean {
    return this.video !== null || (this.header?.video ?? false);
  }

  /** A part starts at a video keyframe; an audio-only stream at any audio frame after its configuration. */
  private mayStartWith(tag: FlvTag): boolean {
    const info = tag.info;
    if (this.hasVideo()) return info.kind === 'video' && info.keyframe && this.video !== null;
    return info.kind === 'audio' && (this.audio !== null || info.codec !== 'mp4a');
  }

  private partStart(): Uint8Array {
    const chunks: Uint8Array[] = [
      flvHeader({
        audio: this.audio !== null || (this.header?.audio ?? false),
        video: this.hasVideo(),
      }),
    ];
    if (this.metadata) chunks.push(writeTag(this.metadata.flags, 0, this.metadata.data));
    if (this.video) chunks.push(writeTag(this.video.flags, 0, this.video.data));
    if (this.audio) chunks.push(writeTag(this.audio.flags, 0, this.audio.data));
    const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
