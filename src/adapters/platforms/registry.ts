import type { PlatformAdapter } from '../../ports/platform.js';
import { HlsPlatform } from './hls/hls.platform.js';
import { OwncastPlatform } from './owncast/owncast.platform.js';
import type { PlatformHttp } from './shared.js';

/** Every built-in platform. Order matters for URL recognition: the most specific first. */
export function platforms(deps: PlatformHttp): PlatformAdapter[] {
  return [new HlsPlatform(deps), new OwncastPlatform(deps)];
}
