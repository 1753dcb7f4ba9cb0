import { parsePlaylist } from '../../../core/hls/playlist.js';
import type { Channel, Observation } from '../../../core/model.js';
import type { PlatformAdapter } from '../../../ports/platform.js';
import { failed, httpFailed, statusFailed, validateHttpUrl, type PlatformHttp } from '../shared.js';

/**
 * Any HLS URL: live while the playlist answers and has no `#EXT-X-ENDLIST`. A multivariant
 * playlist is followed to its first variant; redirects are followed and relative URIs resolve
 * against the URL that finally answered. 404/410 mean the presentation is gone (offline);
 * other errors are failures.
 */
export class HlsPlatform implements PlatformAdapter {
  readonly id = 'hls';
  private readonly deps: PlatformHttp;

  constructor(deps: PlatformHttp) {
    this.deps = deps;
  }

  validateUrl(url: string): string | null {
    return validateHttpUrl(url);
  }

  recognises(url: URL): boolean {
    return url.pathname.endsWith('.m3u8');
  }

  async probe(channel: Channel, _hint: unknown, signal: AbortSignal): Promise<Observation> {
    let url = channel.url;
    for (let depth = 0; depth < 2; depth++) {
      const res = await this.deps.http.request(url, {
        timeoutMs: this.deps.timeoutMs,
        maxBytes: this.deps.maxBytes,
        maxRedirects: 5,
        signal,
      });
      if (!res.ok) return httpFailed(res);
      if (res.status === 404 || res.status === 410) return { kind: 'offline' };
      if (res.status !== 200) return statusFailed(res, 'HLS playlist');
      const parsed = parsePlaylist(res.body.toString('utf8'));
      if (!parsed.ok) return failed(parsed.error, false);
      const playlist = parsed.playlist;
      if (playlist.kind === 'master') {
        const first = playlist.variants[0];
        if (!first) return failed('multivariant playlist has no variants', false);
        url = new URL(first.uri, res.url).href;
        continue;
      }
      if (playlist.endList) return { kind: 'offline' };
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
    return failed('multivariant playlist points at another multivariant playlist', false);
  }
}
