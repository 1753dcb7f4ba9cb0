import { Agent, request } from 'undici';
import { FlvDemuxer } from '../../../core/flv/tags.js';
import type { Channel, Observation } from '../../../core/model.js';
import type { Extractor, ResolveResult } from '../../../ports/extractor.js';
import type { PlatformAdapter } from '../../../ports/platform.js';
import { failed, validateHttpUrl } from '../shared.js';

export interface FlvPlatformOptions {
  readonly timeoutMs: number;
  readonly userAgent: string;
}

/** How much of the stream a probe reads: the FLV header is 13 bytes; a few tags more prove it flows. */
const PROBE_BYTES = 64 * 1024;

/**
 * HTTP-FLV (`http://…/live.flv`), as media servers and many live platforms publish it: live
 * while the URL answers 200 with an FLV stream whose first tag arrives; 404/410 mean offline,
 * anything else is a failure (never a false offline). The probe reads only the stream's first bytes and
 * hangs up, since the body never ends.
 */
export class FlvPlatform implements PlatformAdapter {
  readonly id = 'flv';
  private readonly options: FlvPlatformOptions;
  private readonly agent: Agent;

  constructor(options: FlvPlatformOptions) {
    this.options = options;
    // Probes do not reuse a socket: a live FLV response is never read to its end.
    this.agent = new Agent({ pipelining: 0 });
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
    try {
      const res = await request(channel.url, {
        method: 'GET',
        headers: { 'user-agent': this.options.userAgent },
        signal: controller.signal,
        dispatcher: this.agent,
      });
      if (res.statusCode === 404 || res.statusCode === 410) {
        await res.body.dump();
        return { kind: 'offline' };
      }
      if (res.statusCode !== 200) {
        await res.body.dump();
        return failed(
          `FLV stream answered HTTP ${res.statusCode}`,
          res.statusCode >= 500 || res.statusCode === 429 || res.statusCode === 408,
        );
      }
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
      // 200 and then nothing: not a clear "offline" (a 404 is), so a failure, never a false offline.
      return failed('the FLV stream ended before its first tag');
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (controller.signal.aborted) return failed(`timed out after ${this.options.timeoutMs}ms`);
      return failed(`${code ?? 'network error'} from the FLV URL`);
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', abort);
    }
  }
}

/** The URL itself is the stream: FLV channels need no resolving. */
export class FlvExtractor implements Extractor {
  readonly id = 'flv';

  resolve(channel: Channel): Promise<ResolveResult> {
    return Promise.resolve({ ok: true, sources: [{ url: channel.url, quality: 'best', format: 'flv' }] });
  }
}

/** Drops a live body we stop reading; undici reports the abort as an error, which is expected here. */
function discard(body: NodeJS.ReadableStream & { destroy(): void }): void {
  body.on('error', () => undefined);
  body.destroy();
}
