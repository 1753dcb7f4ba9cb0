import { describe, expect, it } from 'vitest';
import { parsePlaylist } from '../hls/playlist.js';
import { judgeProgress, playlistMark, playlistStallMs, type Progress } from './stall.js';

const media = (sequence: number, segments: string[], query = '') => {
  const parsed = parsePlaylist(
    [
      '#EXTM3U',
      '#EXT-X-TARGETDURATION:2',
      `#EXT-X-MEDIA-SEQUENCE:${sequence}`,
      ...segments.flatMap((s) => ['#EXTINF:2.0,', `${s}${query}`]),
    ].join('\n'),
  );
  if (!parsed.ok || parsed.playlist.kind !== 'media') throw new Error('not a media playlist');
  return parsed.playlist;
};

describe('stall detection', () => {
  it('the mark moves with the last media sequence number and the segment list, not with tokens', () => {
    const a = playlistMark(media(5, ['a.ts', 'b.ts']));
    expect(playlistMark(media(5, ['a.ts', 'b.ts'], '?token=1'))).toBe(
      playlistMark(media(5, ['a.ts', 'b.ts'], '?token=2')),
    );
    expect(playlistMark(media(5, ['a.ts', 'b.ts', 'c.ts']))).not.toBe(a);
    expect(playlistMark(media(6, ['b.ts', 'c.ts']))).not.toBe(a);
    // A restarted writer (sequence 0 again) with the same names is still a change of the list.
    expect(playlistMark(media(0, ['a.ts']))).not.toBe(playlistMark(media(0, ['b.ts'])));
  });

  it('stalls only once the same mark has lasted longer than the threshold, dated to its first sight', () => {
    let progress: Progress | undefined;
    const at = (now: number, mark: string) => {
      const verdict = judgeProgress(progress, mark, now, 10_000);
      progress = verdict.progress;
      return verdict;
    };
    expect(at(0, 'x').stalled).toBe(false);
    expect(at(5_000, 'y').stalled).toBe(false);
    expect(at(15_000, 'y').stalled).toBe(false);
    expect(at(15_001, 'y')).toEqual({
      stalled: true,
      progress: { mark: 'y', since: 5_000 },
      since: 5_000,
    });
    // Advancing again resets the clock.
    expect(at(16_000, 'z').stalled).toBe(false);
    expect(at(26_000, 'z').stalled).toBe(false);
  });

  it('the threshold is max(3 × target duration, poll.staleAfter)', () => {
    expect(playlistStallMs(2, 30_000)).toBe(30_000);
    expect(playlistStallMs(12, 30_000)).toBe(36_000);
    expect(playlistStallMs(null, 5_000)).toBe(5_000);
  });
});
