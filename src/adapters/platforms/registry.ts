import type { Channel } from '../../core/model.js';
import type { Extractor } from '../../ports/extractor.js';
import type { PlatformAdapter } from '../../ports/platform.js';
import { systemClock } from '../time/system-time.js';
import { ExtractedPlatform, type SourceCheck } from './extracted/extracted.platform.js';
import { FlvPlatform } from './flv/flv.platform.js';
import { readHlsLiveness } from './hls/hls-liveness.js';
import { HlsPlatform } from './hls/hls.platform.js';
import { OwncastPlatform } from './owncast/owncast.platform.js';
import { DEFAULT_STALE_AFTER_MS, ProgressWatch, type StallSettings } from './progress-watch.js';
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
  stalls: StallSettings = { clock: systemClock, staleAfterMs: DEFAULT_STALE_AFTER_MS },
): PlatformAdapter[] {
  return [
    new TwitchPlatform(twitch),
    new HlsPlatform(deps, stalls),
    new FlvPlatform({ timeoutMs: deps.timeoutMs, userAgent: 'onair/0.1', stalls }),
    new OwncastPlatform(deps, stalls),
    new ExtractedPlatform('streamlink', extractorFor, sourceCheck(deps, stalls)),
    new ExtractedPlatform('plugin', extractorFor, sourceCheck(deps, stalls)),
  ];
}

/**
 * What an extracted platform reads of the stream its extractor found: an HLS playlist (gone or
 * stalled is offline). Other streams (an FLV from `httpstream://`) are taken as the extractor says.
 */
function sourceCheck(deps: PlatformHttp, stalls: StallSettings): SourceCheck {
  const watch = new ProgressWatch(stalls);
  return (channel, url, signal) => {
    let hls: boolean;
    try {
      hls = !new URL(url).pathname.toLowerCase().endsWith('.flv');
    } catch {
      hls = false;
    }
    return hls
      ? readHlsLiveness(deps, watch, channel.id, url, signal)
      : Promise.resolve({ kind: 'live' });
  };
}
