import type { Channel, Observation } from '../../../core/model.js';
import type { PlatformAdapter } from '../../../ports/platform.js';
import { systemClock } from '../../time/system-time.js';
import { DEFAULT_STALE_AFTER_MS, ProgressWatch, type StallSettings } from '../progress-watch.js';
import { validateHttpUrl, type PlatformHttp } from '../shared.js';
import { readHlsLiveness } from './hls-liveness.js';

/**
 * Any HLS URL: live while the playlist answers, has no `#EXT-X-ENDLIST` and keeps advancing
 * (`readHlsLiveness`). A multivariant playlist is followed to its first variant. 404/410 mean the
 * presentation is gone (offline); a playlist frozen for `poll.staleAfter` is offline (`stalled`);
 * other errors are failures.
 */
export class HlsPlatform implements PlatformAdapter {
  readonly id = 'hls';
  private readonly deps: PlatformHttp;
  private readonly watch: ProgressWatch;

  constructor(
    deps: PlatformHttp,
    stalls: StallSettings = { clock: systemClock, staleAfterMs: DEFAULT_STALE_AFTER_MS },
  ) {
    this.deps = deps;
    this.watch = new ProgressWatch(stalls);
  }

  validateUrl(url: string): string | null {
    return validateHttpUrl(url);
  }

  recognises(url: URL): boolean {
    return url.pathname.endsWith('.m3u8');
  }

  async probe(channel: Channel, _hint: unknown, signal: AbortSignal): Promise<Observation> {
    const read = await readHlsLiveness(this.deps, this.watch, channel.id, channel.url, signal);
    if (read.kind !== 'live') return read;
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
