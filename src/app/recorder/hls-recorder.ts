import { createDecipheriv } from 'node:crypto';
import { parsePlaylist } from '../../core/hls/playlist.js';
import {
  parseMediaPlaylist,
  sequenceIv,
  type MediaPlaylist,
  type Segment,
} from '../../core/recording/media-playlist.js';
import { selectQuality } from '../../core/recording/quality.js';
import { advance, reloadDelayMs, track, type TrackState } from '../../core/recording/tracker.js';
import type { Instant } from '../../core/time.js';
import type { StreamSource } from '../../ports/extractor.js';
import type { StreamsResult } from '../refresher.js';
import type { RecorderContext, RunEnd } from './run.js';
import { discard, readAll, sleep } from './run.js';

const REFUSED = new Set([403, 410]);
/** Longest a segment download may take, in target durations (and never less than 10 s). */
const SEGMENT_TIMEOUT_TARGETS = 3;
const MAX_SEGMENT_BYTES = 256 * 1_048_576;
/** AES-128 keys are 16 bytes; anything much larger is not a key. */
const MAX_KEY_BYTES = 1_024;
/** Keys remembered per run (a key rotates every few segments at most; tokens make new URLs). */
const KEY_CACHE = 16;

/** The media playlist URL of a stream, as of one generation of resolved URLs. */
interface Located {
  readonly url: string;
  readonly generation: number;
}

type Loaded =
  | {
      readonly ok: true;
      readonly playlist: MediaPlaylist;
      readonly url: string;
      readonly at: Located;
    }
  | { readonly ok: false; readonly reason: string; readonly gone: boolean };

/**
 * Records an HLS stream natively: follows the media playlist with RFC 8216 reload timing,
 * writes each segment once by its MSN (`core/recording/tracker`), retries a failed segment, and
 * on a 403/410 asks the refresher for fresh URLs and finds the same MSN again in the fresh
 * playlist — so a token expiry costs nothing. Splits into a new part at a discontinuity, an
 * origin restart or a new init segment; gaps it could not fill go to the sidecar. Returns why
 * it stopped: the stream ended, it was told to stop, the disk is full, nothing arrived for
 * `stallMs` (and at least `stallTargets` target durations) even after a re-resolve, or the
 * stream is encrypted in a way onair cannot record (`failed`). AES-128 segments are decrypted
 * with their key (fetched like a segment: a 403/410 re-resolves) and the IV of the tag or the MSN.
 */
export async function recordHls(ctx: RecorderContext, resume: TrackState | null): Promise<RunEnd> {
  const { clock, signal, writer } = ctx;
  // A call, not a property read: it changes while the loop awaits.
  const stopped = () => signal.aborted;
  let state = resume;
  let at: Located | null = null;
  let lastProgress: Instant = clock.now();
  let reresolved = false;
  let mapKey: string | null = null;
  let targetS = 2;
  const keys = new Map<string, Uint8Array>();
  while (!stopped()) {
    const loadStart = clock.now();
    const loaded = await load(ctx, at);
    if (stopped()) break;
    let changed = false;
    if (loaded.ok) {
      at = loaded.at;
      targetS = loaded.playlist.targetDuration;
      const result = track(state, loaded.playlist);
      changed = result.changed;
      for (const step of result.steps) {
        if (stopped()) break;
        switch (step.kind) {
          case 'split':
            if (writer.isOpen) await writer.close(step.reason);
            mapKey = null;
            break;
          case 'gap':
            writer.noteGap({ reason: step.reason, fromMsn: step.fromMsn, toMsn: step.toMsn });
            break;
          case 'end':
            return 'ended';
          case 'segment': {
            const segment = step.segment;
            const outcome = await recordSegment(ctx, loaded, segment, mapKey, keys);
            if (outcome.kind === 'diskFull') return 'diskFull';
            if (outcome.kind === 'unsupported') {
              writer.noteGap({
                reason: 'failed',
                fromMsn: segment.msn,
                toMsn: segment.msn,
                error: outcome.error,
              });
              ctx.logger.warn(
                { channel: ctx.channelId, reason: outcome.error },
                'stream cannot be recorded',
              );
              return 'failed';
            }
            if (outcome.kind === 'written') {
              mapKey = outcome.mapKey;
              lastProgress = clock.now();
              reresolved = false;
              await writer.segmentWritten(
                {
                  lastMsn: segment.msn,
                  lastDsn: segment.dsn,
                  targetDuration: loaded.playlist.targetDuration,
                },
                segment.duration,
              );
            } else {
              writer.noteGap({
                reason: 'failed',
                fromMsn: segment.msn,
                toMsn: segment.msn,
                error: outcome.error,
              });
            }
            // Handled either way: a lost segment is never fetched again, the next one is.
            state = advance(loaded.playlist, segment);
            break;
          }
        }
      }
    } else if (loaded.gone && writer.isOpen) {
      // The presentation was removed (404): what was recorded is complete up to here.
      ctx.logger.info({ channel: ctx.channelId, reason: loaded.reason }, 'playlist gone');
    }
    const stallMs = Math.max(ctx.stallMs, ctx.stallTargets * targetS * 1_000);
    if (clock.now() - lastProgress > stallMs) {
      if (reresolved) return 'stalled';
      // Nothing for several target durations: fresh URLs first; only if that does not help is it a stall.
      reresolved = true;
      lastProgress = clock.now();
      await ctx.streams.refused(at?.generation ?? 0);
      at = null;
      continue;
    }
    const wait = loaded.ok
      ? reloadDelayMs(changed, targetS, clock.now() - loadStart)
      : Math.max(1_000, (targetS * 1_000) / 2);
    await sleep(ctx.timers, wait, signal);
  }
  return 'stopped';
}

/** Loads the media playlist, re-resolving once on 403/410; follows a multivariant playlist to the wished variant. */
async function load(ctx: RecorderContext, at: Located | null): Promise<Loaded> {
  let where: Located;
  if (at !== null) where = at;
  else {
    const located = locate(ctx, await ctx.streams.current());
    if (!located.ok) return { ok: false, reason: located.reason, gone: false };
    where = located.at;
  }
  let refreshed = false;
  for (let hops = 0; hops < 4; hops++) {
    const res = await ctx.upstream.text(where.url, timeoutSignal(ctx.signal, 15_000));
    if (!res.ok) return { ok: false, reason: res.reason, gone: false };
    if (REFUSED.has(res.status) && !refreshed) {
      refreshed = true;
      ctx.logger.info(
        { channel: ctx.channelId, status: res.status },
        'playlist refused: re-resolving',
      );
      const again = locate(ctx, await ctx.streams.refused(where.generation));
      if (!again.ok) return { ok: false, reason: again.reason, gone: false };
      where = again.at;
      continue;
    }
    if (res.status !== 200)
      return {
        ok: false,
        reason: `playlist answered HTTP ${res.status}`,
        gone: res.status === 404 || res.status === 410,
      };
    const parsed = parseMediaPlaylist(res.body);
    if (parsed.ok) return { ok: true, playlist: parsed.playlist, url: res.url, at: where };
    if (!parsed.multivariant) return { ok: false, reason: parsed.error, gone: false };
    const master = parsePlaylist(res.body);
    if (!master.ok || master.playlist.kind !== 'master')
      return { ok: false, reason: 'unreadable multivariant playlist', gone: false };
    const variants = [...master.playlist.variants].sort(
      (a, b) => (b.bandwidth ?? 0) - (a.bandwidth ?? 0),
    );
    const index = selectQuality(
      variants.map((v) => ({
        quality: v.name ?? (v.height !== null ? `${v.height}p` : ''),
        height: v.height ?? undefined,
        bandwidth: v.bandwidth ?? undefined,
      })),
      ctx.quality,
    );
    const variant = variants[index ?? 0];
    if (!variant) return { ok: false, reason: 'no variant to record', gone: false };
    where = { url: new URL(variant.uri, res.url).href, generation: where.generation };
  }
  return { ok: false, reason: 'multivariant playlists nested too deep', gone: false };
}

function locate(
  ctx: RecorderContext,
  result: StreamsResult,
): { ok: true; at: Located } | { ok: false; reason: string } {
  if (!result.ok) return { ok: false, reason: result.reason };
  const source = pickSource(result.streams.sources, ctx.quality);
  if (!source) return { ok: false, reason: 'no stream to record' };
  return { ok: true, at: { url: source.url, generation: result.streams.generation } };
}

/** The source to record among an extractor's sources (best first). */
export function pickSource(
  sources: readonly StreamSource[],
  quality: string,
): StreamSource | undefined {
  const index = selectQuality(sources, quality);
  return index === null ? undefined : sources[index];
}

type SegmentOutcome =
  | { readonly kind: 'written'; readonly mapKey: string | null }
  | { readonly kind: 'lost'; readonly error: string }
  /** Encrypted with DRM or SAMPLE-AES: no segment of this stream can be recorded. */
  | { readonly kind: 'unsupported'; readonly error: string }
  | { readonly kind: 'diskFull' };

/** Why a segment's encryption is beyond onair (null: clear, or AES-128 it can decrypt). */
export function unsupportedEncryption(segment: Segment): string | null {
  const key = segment.key;
  if (key === null) return null;
  if (key.uri?.toLowerCase().startsWith('skd:') === true || key.format !== 'identity')
    return `DRM-protected stream (key ${key.uri?.startsWith('skd:') === true ? 'skd://' : `format ${key.format}`}): onair does not record DRM`;
  if (key.method !== 'AES-128')
    return `${key.method} encryption encrypts inside the media samples: onair records only AES-128 (whole-segment) encryption`;
  if (key.uri === null) return 'AES-128 key without a URI';
  return null;
}

/**
 * Fetches one segment whole (so the file only ever holds complete segments) and writes it,
 * opening a part first when none is open or the init segment changed. Retries network errors
 * and 5xx a few times; on 403/410 re-resolves and fetches the same MSN from the fresh playlist.
 */
async function recordSegment(
  ctx: RecorderContext,
  loaded: Extract<Loaded, { ok: true }>,
  segment: Segment,
  mapKey: string | null,
  keys: Map<string, Uint8Array>,
): Promise<SegmentOutcome> {
  const unsupported = unsupportedEncryption(segment);
  if (unsupported !== null) return { kind: 'unsupported', error: unsupported };
  const timeoutMs = Math.max(
    10_000,
    SEGMENT_TIMEOUT_TARGETS * loaded.playlist.targetDuration * 1_000,
  );
  let base = loaded.url;
  let current: Segment = segment;
  let generation = loaded.at.generation;
  let lastError = 'not fetched';
  for (let attempt = 0; attempt <= ctx.segmentRetries; attempt++) {
    if (ctx.signal.aborted) return { kind: 'lost', error: 'stopped' };
    const got = await fetchBytes(ctx, new URL(current.uri, base).href, current.range, timeoutMs);
    if (got.kind === 'refused') {
      const fresh = await relocate(ctx, generation, segment.msn);
      if (!fresh)
        return {
          kind: 'lost',
          error: `HTTP ${got.status}, and the segment is not in the fresh playlist`,
        };
      ({ base, segment: current, generation } = fresh);
      continue;
    }
    if (got.kind === 'failed') {
      lastError = got.error;
      if (!got.retryable) break;
      await sleep(ctx.timers, 500 * 2 ** attempt, ctx.signal);
      continue;
    }
    let bytes = got.bytes;
    if (current.key !== null) {
      const clear = await decrypt(ctx, current, base, bytes, keys, timeoutMs);
      if (clear.kind === 'refused') {
        // The key's token expired with the segment's: fresh URLs, the same MSN, its fresh key URI.
        const fresh = await relocate(ctx, generation, segment.msn);
        if (!fresh) return { kind: 'lost', error: `key answered HTTP ${clear.status}` };
        ({ base, segment: current, generation } = fresh);
        continue;
      }
      if (clear.kind === 'failed') {
        lastError = clear.error;
        if (!clear.retryable) break;
        await sleep(ctx.timers, 500 * 2 ** attempt, ctx.signal);
        continue;
      }
      bytes = clear.bytes;
    }
    const key =
      current.map === null
        ? null
        : `${new URL(current.map.uri, base).pathname}#${current.map.range ?? ''}`;
    if (!ctx.writer.isOpen || key !== mapKey) {
      let init: Uint8Array | null = null;
      if (current.map !== null) {
        const map = await fetchBytes(
          ctx,
          new URL(current.map.uri, base).href,
          current.map.range,
          timeoutMs,
        );
        if (map.kind !== 'ok') return { kind: 'lost', error: 'init segment could not be fetched' };
        init = map.bytes;
      }
      const opened = await ctx.writer.open(current.map === null ? 'ts' : 'mp4', init);
      if (!opened.ok)
        return opened.reason === 'diskFull'
          ? { kind: 'diskFull' }
          : { kind: 'lost', error: opened.error };
    }
    const written = await ctx.writer.write(bytes);
    if (!written.ok) {
      if (written.reason === 'diskFull') return { kind: 'diskFull' };
      return { kind: 'lost', error: written.error };
    }
    return { kind: 'written', mapKey: key };
  }
  return { kind: 'lost', error: lastError };
}

/**
 * Decrypts an AES-128 segment (AES-128-CBC with PKCS#7 padding, RFC 8216 §5.2): the key from
 * its URI (resolved against the playlist, fetched over the recorder's upstream and cached by URL),
 * the IV from the tag or the segment's media sequence number.
 */
async function decrypt(
  ctx: RecorderContext,
  segment: Segment,
  base: string,
  bytes: Uint8Array,
  keys: Map<string, Uint8Array>,
  timeoutMs: number,
): Promise<Fetched> {
  const keyInfo = segment.key;
  if (keyInfo?.uri == null) return { kind: 'failed', error: 'no key URI', retryable: false };
  const url = new URL(keyInfo.uri, base).href;
  let key = keys.get(url);
  if (key === undefined) {
    const got = await fetchBytes(ctx, url, null, timeoutMs, MAX_KEY_BYTES);
    if (got.kind !== 'ok')
      return got.kind === 'failed' ? { ...got, error: `key: ${got.error}` } : got;
    if (got.bytes.length !== 16)
      return {
        kind: 'failed',
        error: `the AES-128 key is ${got.bytes.length} bytes, not 16`,
        retryable: false,
      };
    key = got.bytes;
    if (keys.size >= KEY_CACHE) keys.delete(keys.keys().next().value!);
    keys.set(url, key);
  }
  try {
    const decipher = createDecipheriv('aes-128-cbc', key, keyInfo.iv ?? sequenceIv(segment.msn));
    return { kind: 'ok', bytes: Buffer.concat([decipher.update(bytes), decipher.final()]) };
  } catch {
    // Bad padding: the wrong key or IV, or a damaged segment.
    keys.delete(url);
    return { kind: 'failed', error: 'the segment does not decrypt with its key', retryable: false };
  }
}

/** After a refusal: fresh URLs, the fresh playlist, and the segment with the same MSN in it. */
async function relocate(
  ctx: RecorderContext,
  generation: number,
  msn: number,
): Promise<{ base: string; segment: Segment; generation: number } | null> {
  const located = locate(ctx, await ctx.streams.refused(generation));
  if (!located.ok) return null;
  const loaded = await load(ctx, located.at);
  if (!loaded.ok) return null;
  const segment = loaded.playlist.segments.find((s) => s.msn === msn);
  return segment ? { base: loaded.url, segment, generation: loaded.at.generation } : null;
}

type Fetched =
  | { readonly kind: 'ok'; readonly bytes: Uint8Array }
  | { readonly kind: 'refused'; readonly status: number }
  | { readonly kind: 'failed'; readonly error: string; readonly retryable: boolean };

async function fetchBytes(
  ctx: RecorderContext,
  url: string,
  range: string | null,
  timeoutMs: number,
  maxBytes = MAX_SEGMENT_BYTES,
): Promise<Fetched> {
  const signal = timeoutSignal(ctx.signal, timeoutMs);
  const res = await ctx.upstream.open(url, {
    range: range === null ? undefined : `bytes=${range}`,
    signal,
  });
  if (!res.ok) return { kind: 'failed', error: res.reason, retryable: true };
  if (REFUSED.has(res.status)) {
    discard(res.body);
    return { kind: 'refused', status: res.status };
  }
  if (res.status !== 200 && res.status !== 206) {
    discard(res.body);
    // A segment that is gone (404) stays gone; a 5xx may pass.
    return {
      kind: 'failed',
      error: `segment answered HTTP ${res.status}`,
      retryable: res.status >= 500 || res.status === 429,
    };
  }
  const body = await readAll(res.body, maxBytes);
  if (!body.ok)
    return {
      kind: 'failed',
      error: signal.aborted && !ctx.signal.aborted ? 'segment download timed out' : body.error,
      retryable: true,
    };
  return { kind: 'ok', bytes: body.bytes };
}

function timeoutSignal(parent: AbortSignal, ms: number): AbortSignal {
  return AbortSignal.any([parent, AbortSignal.timeout(ms)]);
}
