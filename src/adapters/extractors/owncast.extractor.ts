import type { Channel } from '../../core/model.js';
import { trimTrailingSlashes } from '../../core/text.js';
import type { Extractor, ResolveResult } from '../../ports/extractor.js';
import { resolveHls, type ExtractorHttp } from './hls-resolve.js';

/** Owncast serves its stream at `<base>/hls/stream.m3u8` (a multivariant playlist). */
export class OwncastExtractor implements Extractor {
  readonly id = 'owncast';
  private readonly deps: ExtractorHttp;

  constructor(deps: ExtractorHttp) {
    this.deps = deps;
  }

  resolve(channel: Channel, signal: AbortSignal): Promise<ResolveResult> {
    return resolveHls(this.deps, `${trimTrailingSlashes(channel.url)}/hls/stream.m3u8`, signal);
  }
}
