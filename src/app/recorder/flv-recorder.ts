import { FlvSplitter } from '../../core/flv/splitter.js';
import { FlvDemuxer } from '../../core/flv/tags.js';
import type { Instant } from '../../core/time.js';
import type { StreamsResult } from '../refresher.js';
import { pickSource } from './hls-recorder.js';
import type { RecorderContext, RunEnd } from './run.js';
import { discard, sleep } from './run.js';

const REFUSED = new Set([403, 410]);

/**
 * Records an HTTP-FLV stream: reads the tag stream as it arrives, and writes parts as the pure
 * splitter says (`core/flv/splitter`) — a new part when a decoder configuration really changes,
 * each part starting at 0 with its own header and configurations. A refused URL (403/410) is
 * re-resolved; a dropped connection is reopened (the new connection starts a new part, since
 * its timestamps start over). A stall is `stallMs` without a byte, even after fresh URLs.
 */
export async function recordFlv(ctx: RecorderContext): Promise<RunEnd> {
  const { clock, signal, writer } = ctx;
  // A call, not a property read: it changes while the loop awaits.
  const stopped = () => signal.aborted;
  let lastProgress: Instant = clock.now();
  let reresolved = false;
  let refusedGeneration: number | null = null;
  while (!stopped()) {
    const streams: StreamsResult =
      refusedGeneration === null
        ? await ctx.streams.current()
        : await ctx.streams.refused(refusedGeneration);
    refusedGeneration = null;
    const source = streams.ok ? pickSource(streams.streams.sources, ctx.quality) : undefined;
    if (streams.ok && source) {
      const watchdog = new AbortController();
      const res = await ctx.upstream.open(source.url, {
        signal: AbortSignal.any([signal, watchdog.signal]),
      });
      if (res.ok && REFUSED.has(res.status)) {
        discard(res.body);
        refusedGeneration = streams.streams.generation;
        ctx.logger.info(
          { channel: ctx.channelId, status: res.status },
          'FLV stream refused: re-resolving',
        );
        await sleep(ctx.timers, 500, signal);
        continue;
      }
      if (res.ok && res.status === 200) {
        const demuxer = new FlvDemuxer();
        const splitter = new FlvSplitter();
        // No byte for stallMs: drop the connection (a hung socket looks alive forever).
        let idle = ctx.timers.after(ctx.stallMs, () => {
          watchdog.abort();
        });
        try {
          for await (const chunk of res.body as AsyncIterable<Buffer>) {
            idle();
            idle = ctx.timers.after(ctx.stallMs, () => {
              watchdog.abort();
            });
            lastProgress = clock.now();
            reresolved = false;
            for (const event of demuxer.push(chunk)) {
              if (event.kind === 'invalid') {
                ctx.logger.warn(
                  { channel: ctx.channelId, reason: event.reason },
                  'not an FLV stream',
                );
                discard(res.body);
                return 'failed';
              }
              if (event.kind === 'resync')
                writer.noteGap({
                  reason: 'failed',
                  error: `skipped ${event.skipped} damaged bytes`,
                });
              for (const action of splitter.push(event)) {
                if (action.kind === 'close') await writer.close(action.reason);
                else if (action.kind === 'open') {
                  const opened = await writer.open('flv', action.bytes, {
                    video: action.video,
                    audio: action.audio,
                  });
                  if (!opened.ok) {
                    discard(res.body);
                    if (opened.reason === 'diskFull') return 'diskFull';
                    ctx.logger.error(
                      { channel: ctx.channelId, error: opened.error },
                      'could not open a recording part',
                    );
                    return 'failed';
                  }
                } else if (writer.isOpen) {
                  writer.mediaReached(action.at);
                  const written = await writer.write(action.bytes);
                  if (!written.ok) {
                    discard(res.body);
                    return written.reason === 'diskFull' ? 'diskFull' : 'failed';
                  }
                }
              }
            }
          }
        } catch {
          // The connection broke or the watchdog cut it: reconnect below.
        } finally {
          idle();
        }
        if (stopped()) break;
        if (writer.isOpen) await writer.close('reconnect');
        writer.noteGap({ reason: 'reconnect' });
      } else if (res.ok) {
        discard(res.body);
      }
    }
    if (clock.now() - lastProgress > ctx.stallMs) {
      if (reresolved) return 'stalled';
      reresolved = true;
      lastProgress = clock.now();
      if (streams.ok) refusedGeneration = streams.streams.generation;
    }
    await sleep(ctx.timers, 1_000, signal);
  }
  return 'stopped';
}
