import { parsePlaylist } from '../../../core/hls/playlist.js';
import { playlistMark, playlistStallMs } from '../../../core/liveness/stall.js';
import type { Observation } from '../../../core/model.js';
import type { ProgressWatch } from '../progress-watch.js';
import { failed, httpFailed, statusFailed, type PlatformHttp } from '../shared.js';

/** What reading a stream's playlist says: live, offline (ended, gone or stalled) or a failure. */
export type HlsLiveness =
  | { readonly kind: 'live' }
  | Extract<Observation, { kind: 'offline' }>
  | Extract<Observation, { kind: 'failed' }>;

/**
 * Reads an HLS playlist the way a player would and says whether the stream is live: a
 * multivariant playlist is followed to its first variant (redirects followed, relative URIs
 * resolved against the URL that finally answered); `#EXT-X-ENDLIST`, 404 and 410 are offline; a
 * media playlist that has not advanced for `max(3 × target duration, poll.staleAfter)` is offline
 * with reason `stalled` — an encoder that crashed leaves its playlist as it was, without
 * `#EXT-X-ENDLIST`. Other errors are failures, never offline.
 */
export async function readHlsLiveness(
  deps: PlatformHttp,
  watch: ProgressWatch,
  channelId: string,
  url: string,
  signal: AbortSignal,
): Promise<HlsLiveness> {
  let at = url;
  for (let depth = 0; depth < 2; depth++) {
    const res = await deps.http.request(at, {
      timeoutMs: deps.timeoutMs,
      maxBytes: deps.maxBytes,
      maxRedirects: 5,
      signal,
    });
    if (!res.ok) return httpFailed(res);
    if (res.status === 404 || res.status === 410) {
      watch.forget(channelId);
      return { kind: 'offline' };
    }
    if (res.status !== 200) return statusFailed(res, 'HLS playlist');
    const parsed = parsePlaylist(res.body.toString('utf8'));
    if (!parsed.ok) return failed(parsed.error, false);
    const playlist = parsed.playlist;
    if (playlist.kind === 'master') {
      const first = playlist.variants[0];
      if (!first) return failed('multivariant playlist has no variants', false);
      at = new URL(first.uri, res.url).href;
      continue;
    }
    if (playlist.endList) {
      watch.forget(channelId);
      return { kind: 'offline' };
    }
    const verdict = watch.judge(
      channelId,
      playlistMark(playlist),
      playlistStallMs(playlist.targetDuration, watch.staleAfterMs),
    );
    return verdict.stalled
      ? { kind: 'offline', reason: 'stalled', since: verdict.since }
      : { kind: 'live' };
  }
  return failed('multivariant playlist points at another multivariant playlist', false);
}
