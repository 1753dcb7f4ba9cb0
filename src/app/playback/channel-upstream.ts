import { parsePlaylist } from '../../core/hls/playlist.js';
import type { StreamsResult } from '../refresher.js';
import type { FetchScope, Upstream, UpstreamText } from './ports.js';

/**
 * An upstream whose every fetch is for one channel (the recorder's view): the origins of the
 * channel's configured URL and of the URLs its extractor resolved are trusted by the address
 * policy, and segments are shared through the segment cache for the window of the last media
 * playlist read through it. A fetch that names its own scope keeps it.
 */
export function channelUpstream(
  inner: Upstream,
  channelId: string,
  channelUrl: string | undefined,
  streams: () => Promise<StreamsResult>,
): Upstream {
  let windowMs = 0;
  const scope = async (): Promise<FetchScope> => {
    const current = await streams();
    const urls = current.ok
      ? [...current.streams.sources.map((s) => s.url), current.streams.master]
      : [];
    urls.push(channelUrl ?? null);
    const trusted = new Set<string>();
    for (const url of urls) {
      if (url === null) continue;
      try {
        trusted.add(new URL(url).origin);
      } catch {
        // not a URL: trusts nothing
      }
    }
    return { channel: channelId, trusted, cacheMs: windowMs };
  };
  return {
    async text(url, signal, own): Promise<UpstreamText> {
      const res = await inner.text(url, signal, own ?? (await scope()));
      if (res.ok && res.status === 200) {
        const parsed = parsePlaylist(res.body);
        if (parsed.ok && parsed.playlist.kind === 'media')
          windowMs = Math.round(parsed.playlist.durationS * 1_000);
      }
      return res;
    },
    async open(url, options) {
      return inner.open(url, { ...options, scope: options.scope ?? (await scope()) });
    },
  };
}
