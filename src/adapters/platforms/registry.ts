import type { PlatformAdapter } from '../../ports/platform.js';
import { HlsPlatform } from './hls/hls.platform.js';
import { OwncastPlatform } from './owncast/owncast.platform.js';
import type { PlatformHttp } from './shared.js';
import type { TwitchApi } from './twitch/twitch-api.js';
import { TwitchPlatform } from './twitch/twitch.platform.js';

/**
 * Every built-in platform. Order matters for URL recognition: the most specific first. Twitch is
 * always registered (so config validation knows it); without credentials its probes say so.
 */
export function platforms(deps: PlatformHttp, twitch: TwitchApi | null = null): PlatformAdapter[] {
  return [new TwitchPlatform(twitch), new HlsPlatform(deps), new OwncastPlatform(deps)];
}
