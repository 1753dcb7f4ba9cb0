import type { Channel, Observation } from '../../../core/model.js';
import type { Extractor } from '../../../ports/extractor.js';
import type { PlatformAdapter } from '../../../ports/platform.js';
import type { HlsLiveness } from '../hls/hls-liveness.js';
import { failed, validateHttpUrl } from '../shared.js';

/**
 * Reads the stream an extractor found, for what the extractor cannot see: a 404/410 or a playlist
 * that stopped advancing (`readHlsLiveness`). Failures to read it leave the extractor's word.
 */
export type SourceCheck = (
  channel: Channel,
  url: string,
  signal: AbortSignal,
) => Promise<HlsLiveness>;

/** streamlink's own URL forms: `hls://URL`, `hlsvariant://URL`, `httpstream://URL` (URL with or without a scheme). */
const STREAMLINK_PREFIX = /^(hls|hlsvariant|httpstream):\/\//i;

/**
 * A platform whose liveness is "its extractor finds a playable stream": `streamlink` (any site
 * streamlink supports, when it is installed) and `plugin` (a user's module, chosen by an
 * `extractors:` rule). An extractor's explicit "not live" is offline, and so is a stream it found
 * that answers 404/410 or has stalled (`checkSource`); every other failure is a failed probe,
 * never offline. Such channels are never recognised from a pasted URL.
 */
export class ExtractedPlatform implements PlatformAdapter {
  readonly id: string;
  private readonly extractorFor: (channel: Channel) => Extractor | string;
  private readonly checkSource: SourceCheck | null;

  constructor(
    id: string,
    extractorFor: (channel: Channel) => Extractor | string,
    checkSource: SourceCheck | null = null,
  ) {
    this.id = id;
    this.extractorFor = extractorFor;
    this.checkSource = checkSource;
  }

  validateUrl(url: string): string | null {
    if (this.id === 'streamlink' && STREAMLINK_PREFIX.test(url)) {
      const inner = url.replace(STREAMLINK_PREFIX, '');
      // streamlink takes `hls://example.org/x.m3u8` as https.
      const problem = validateHttpUrl(
        /^[a-z][a-z0-9+.-]*:\/\//i.test(inner) ? inner : `https://${inner}`,
      );
      return problem === null ? null : `the URL after ${url.split('://')[0]}:// ${problem}`;
    }
    return validateHttpUrl(url);
  }

  recognises(): boolean {
    return false;
  }

  async probe(channel: Channel, _hint: unknown, signal: AbortSignal): Promise<Observation> {
    const extractor = this.extractorFor(channel);
    if (typeof extractor === 'string') return failed(extractor, false);
    const result = await extractor.resolve(channel, signal);
    if (!result.ok)
      return result.offline === true
        ? { kind: 'offline' }
        : failed(result.reason, result.retryable);
    const first = result.sources[0];
    if (first !== undefined && this.checkSource !== null) {
      const read = await this.checkSource(channel, first.url, signal);
      if (read.kind === 'offline') return read;
    }
    return {
      kind: 'live',
      title: first?.title ?? null,
      startedAt: null,
      tags: [],
      viewers: null,
      thumbnail: null,
      name: null,
    };
  }
}
