import type { Channel, Observation } from '../../../core/model.js';
import type { Extractor } from '../../../ports/extractor.js';
import type { PlatformAdapter } from '../../../ports/platform.js';
import { failed, validateHttpUrl } from '../shared.js';

/**
 * A platform whose liveness is "its extractor finds a playable stream": `streamlink` (any site
 * streamlink supports, when it is installed) and `plugin` (a user's module, chosen by an
 * `extractors:` rule). Only an extractor's explicit "not live" is offline; every other failure is
 * a failed probe, never offline. Such channels are never recognised from a pasted URL.
 */
export class ExtractedPlatform implements PlatformAdapter {
  readonly id: string;
  private readonly extractorFor: (channel: Channel) => Extractor | string;

  constructor(id: string, extractorFor: (channel: Channel) => Extractor | string) {
    this.id = id;
    this.extractorFor = extractorFor;
  }

  validateUrl(url: string): string | null {
    return validateHttpUrl(url);
  }

  recognises(): boolean {
    return false;
  }

  async probe(channel: Channel, _hint: unknown, signal: AbortSignal): Promise<Observation> {
    const extractor = this.extractorFor(channel);
    if (typeof extractor === 'string') return failed(extractor, false);
    const result = await extractor.resolve(channel, signal);
    if (result.ok) {
      return {
        kind: 'live',
        title: result.sources[0]?.title ?? null,
        startedAt: null,
        tags: [],
        viewers: null,
        thumbnail: null,
        name: null,
      };
    }
    return result.offline === true ? { kind: 'offline' } : failed(result.reason, result.retryable);
  }
}
