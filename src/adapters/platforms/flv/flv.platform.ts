import { Agent, request, type Dispatcher } from 'undici';
import { FlvDemuxer } from '../../../core/flv/tags.js';
import type { Channel, Observation } from '../../../core/model.js';
import type { Extractor, ResolveResult } from '../../../ports/extractor.js';
import type { PlatformAdapter } from '../../../ports/platform.js';
import { systemClock } from '../../time/system-time.js';
import { DEFAULT_STALE_AFTER_MS, ProgressWatch, type StallSettings } from '../progress-watch.js';
import { failed, validateHttpUrl } from '../shared.js';

export interface FlvPlatformOptions {
  readonly timeoutMs: number;
  readonly userAgent: string;
  /** How long a stream may answer without a tag before it counts as stalled (`poll.staleAfter`). */
  readonly stalls?: StallSettings | undefined;
}

/** How much of the stream a probe reads: the FLV header is 13 bytes; a few tags more prove it flows. */
const PROBE_BYTES = 64 * 1024;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;
/** The mark of "answered, but no tag came": the same on every such probe, so it can stall. */
const SILENT = 'silent';

/**
 * HTTP-FLV (`http://…/live.flv`), as media servers and many live platforms publish it: live
 * while the URL answers 200 (after redirects, at most 5) with an FLV stream whose first tag
 * arrives; 404/410 mean offline. A stream that answers but delivers no tag, probe after probe,
 * for longer than `poll.staleAfter` is offline with reason `stalled` (a relay whose publisher
 * died); anything else is a failure (never a false offline). The probe reads only the stream's
 * first bytes and hangs up, since the body never ends.
 */
export class FlvPlatform implements PlatformAdapter {
  readonly id = 'flv';
  private readonly options: FlvPlatformOptions;
  private readonly agent: Agent;
  private readonly watch: ProgressWatch;

  constructor(options: FlvPlatformOptions) {
    this.options = options;
    // Probes do not reuse a socket: a live FLV response is never read to its end.
    this.agent = new Agent({ pipelining: 0 });
    this.watch = new ProgressWatch(
      options.stalls ?? { clock: systemClock, staleAfterMs: DEFAULT_STALE_AFTER_MS },
    );
  }

  validateUrl(url: string): string | null {
    return validateHttpUrl(url);
  }

  recognises(url: URL): boolean {
    return url.pathname.toLowerCase().endsWith('.flv');
  }

  async probe(channel: Channel, _hint: unknown, signal: AbortSignal): Promise<Observation> {
    const controller = new AbortController();
    const abort = () => {
      controller.abort();
    };
    signal.addEventListener('abort', abort, { once: true });
    const timer = setTimeout(abort, this.options.timeoutMs);
    let answered = false;
    try {
      const res = await this.get(channel.url, controller.signal);
      if (res === null) return failed('too many redirects from the FLV URL', false);
      if (res.statusCode === 404 || res.statusCode === 410) {
        await res.body.dump();
        this.watch.forget(channel.id);
        return { kind: 'offline' };
      }
      if (res.statusCode !== 200) {
        await res.body.dump();
        return failed(
          `FLV stream answered HTTP ${res.statusCode}`,
          res.statusCode >= 500 || res.statusCode === 429 || res.statusCode === 408,
        );
      }
      answered = true;
      const demuxer = new FlvDemuxer();
      let read = 0;
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        read += chunk.length;
        for (const event of demuxer.push(chunk)) {
          if (event.kind === 'invalid') {
            discard(res.body);
            return failed('the URL does not answer with an FLV stream', false);
          }
          if (event.kind === 'tag') {
            discard(res.body);
            this.watch.forget(channel.id);
            return {
              kind: 'live',
              title: null,
              startedAt: null,
              tags: [],
              viewers: null,
              thumbnail: null,
              name: null,
            };
          }
        }
        if (read > PROBE_BYTES) {
          discard(res.body);
          return failed(`no FLV tag in the first ${PROBE_BYTES} bytes`, false);
        }
      }
      // 200 and then nothing: not a clear "offline" (a 404 is) — unless it lasts (a stall).
      return this.silent(channel, 'the FLV stream ended before its first tag');
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (controller.signal.aborted)
        return answered
          ? this.silent(channel, `no FLV tag within ${this.options.timeoutMs}ms`)
          : failed(`timed out after ${this.options.timeoutMs}ms`);
      return failed(`${code ?? 'network error'} from the FLV URL`);
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', abort);
    }
  }

  /** The stream answered without a tag: a failure, or `stalled` once that has lasted `poll.staleAfter`. */
  private silent(channel: Channel, error: string): Observation {
    const verdict = this.watch.judge(channel.id, SILENT, this.watch.staleAfterMs);
    return verdict.stalled
      ? { kind: 'offline', reason: 'stalled', since: verdict.since }
      : failed(error);
  }

  /** GET following redirects (relative `Location`s resolve against the URL that sent them). */
  private async get(url: string, signal: AbortSignal): Promise<Dispatcher.ResponseData | null> {
    let current = url;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const res = await request(current, {
        method: 'GET',
        headers: { 'user-agent': this.options.userAgent },
        signal,
        dispatcher: this.agent,
      });
      const location = res.headers.location;
      if (!REDIRECTS.has(res.statusCode) || typeof location !== 'string') return res;
      await res.body.dump();
      const next = new URL(location, current);
      if (next.protocol !== 'http:' && next.protocol !== 'https:') return null;
      current = next.href;
    }
    return null;
  }
}

/** The URL itself is the stream: FLV channels need no resolving. */
export class FlvExtractor implements Extractor {
  readonly id = 'flv';

  resolve(channel: Channel): Promise<ResolveResult> {
    return Promise.resolve({
      ok: true,
      sources: [{ url: channel.url, quality: 'best', format: 'flv' }],
    });
  }
}

/** Drops a live body we stop reading; undici reports the abort as an error, which is expected here. */
function discard(body: NodeJS.ReadableStream & { destroy(): void }): void {
  body.on('error', () => undefined);
  body.destroy();
}
