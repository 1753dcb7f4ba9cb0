import type { Channel } from '../../core/model.js';
import type { Extractor } from '../../ports/extractor.js';
import type { PlatformAdapter } from '../../ports/platform.js';
import { ExtractedPlatform } from './extracted/extracted.platform.js';
import { FlvPlatform } from './flv/flv.platform.js';
import { HlsPlatform } from './hls/hls.platform.js';
import { OwncastPlatform } from './owncast/owncast.platform.js';
import type { PlatformHttp } from './shared.js';
import type { TwitchApi } from './twitch/twitch-api.js';
import { TwitchPlatform } from './twitch/twitch.platform.js';

/**
 * Every built-in platform. Order matters for URL recognition: the most specific first. Twitch is
 * always registered (so config validation knows it); without credentials its probes say so.
 */
export function platforms(
  deps: PlatformHttp,
  twitch: TwitchApi | null = null,
  extractorFor: (channel: Channel) => Extractor | string = () => 'no extractors configured',
): PlatformAdapter[] {
  return [
    new TwitchPlatform(twitch),
    new HlsPlatform(deps),
    new FlvPlatform({ timeoutMs: deps.timeoutMs, userAgent: 'onair/0.1' }),
    new OwncastPlatform(deps),
    new ExtractedPlatform('streamlink', extractorFor),
    new ExtractedPlatform('plugin', extractorFor),
  ];
}
