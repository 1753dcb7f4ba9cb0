import type { Readable } from 'node:stream';
import type { Clock, Timers } from '../../ports/clock.js';
import type { Logger } from '../../ports/logger.js';
import type { Upstream } from '../playback/ports.js';
import type { StreamsResult } from '../refresher.js';
import type { SessionWriter } from './session-writer.js';

/** Why a recorder run ended. */
export type RunEnd =
  /** The stream said it is over (`#EXT-X-ENDLIST`, Owncast's offline clip, the FLV connection closed for good). */
  | 'ended'
  /** It was told to stop. */
  | 'stopped'
  /** Nothing arrived for several target durations, even after fresh URLs. */
  | 'stalled'
  | 'diskFull'
  /** The source is not something this recorder can read. */
  | 'failed';

/** What a recorder (HLS or FLV) works with during one run. */
export interface RecorderContext {
  readonly channelId: string;
  /** `best`, `worst`, `720p`, or a label. */
  readonly quality: string;
  readonly upstream: Upstream;
  /** The refresher's view of the channel's URLs: the current ones, and fresh ones after a refusal. */
  readonly streams: {
    current(): Promise<StreamsResult>;
    refused(generation: number): Promise<StreamsResult>;
  };
  readonly writer: SessionWriter;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  /** HLS: a stall is never shorter than this many target durations without a new segment. */
  readonly stallTargets: number;
  /** A stall is this long without a new segment (HLS) or a byte (FLV): `recordings.stallAfter`. */
  readonly stallMs: number;
  readonly segmentRetries: number;
}

/** Waits `ms` on the given timers; returns early when `signal` aborts. */
export function sleep(timers: Timers, ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      cancel();
      signal.removeEventListener('abort', done);
      resolve();
    };
    const cancel = timers.after(ms, done);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Reads a body whole, up to `maxBytes`; a network error or an oversize body is a value. */
export async function readAll(
  body: Readable,
  maxBytes: number,
): Promise<{ ok: true; bytes: Buffer } | { ok: false; error: string }> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBytes) {
        discard(body);
        return { ok: false, error: `body larger than ${maxBytes} bytes` };
      }
      chunks.push(chunk);
    }
  } catch (error) {
    return {
      ok: false,
      error: `download failed (${(error as { code?: string }).code ?? (error instanceof Error ? error.name : 'unknown')})`,
    };
  }
  return { ok: true, bytes: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks) };
}

/** Drops a body we will not read; undici reports the abort as an error, which is expected here. */
export function discard(body: Readable): void {
  body.on('error', () => undefined);
  body.destroy();
}
