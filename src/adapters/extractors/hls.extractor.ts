import type { Channel } from '../../core/model.js';
import type { Extractor, ResolveResult } from '../../ports/extractor.js';
import { resolveHls, type ExtractorHttp } from './hls-resolve.js';

/** Any HLS URL: the URL itself, or a multivariant playlist's variants. */
export class HlsExtractor implements Extractor {
  readonly id = 'hls';
  private readonly deps: ExtractorHttp;

  constructor(deps: ExtractorHttp) {
    this.deps = deps;
  }

  resolve(channel: Channel, signal: AbortSignal): Promise<ResolveResult> {
    return resolveHls(this.deps, channel.url, signal);
  }
}
