import { M3U8Parser, PlaylistLevelType } from 'hls.js';
import { describe, expect, it } from 'vitest';
import { rewritePlaylist, type UriRef } from './rewrite.js';

/**
 * The rewriter checked against a reference parser: hls.js's `M3U8Parser` reads the upstream
 * playlist and onair's rewrite of it (every URI a distinct proxy URL, as sealed tokens are), and
 * must find the same segments, byte ranges and parts, each pointing at the proxy URL of the
 * upstream resource it had.
 */
const BASE = 'https://cdn.example/live/index.m3u8';

function parse(text: string) {
  const details = M3U8Parser.parseLevelPlaylist(text, BASE, 0, PlaylistLevelType.MAIN, 0, null);
  return {
    fragments: details.fragments.map((f) => ({ sn: f.sn, url: f.url, range: f.byteRange })),
    parts: (details.partList ?? []).map((p) => ({ url: p.url, range: p.byteRange })),
  };
}

function rewriteDistinct(text: string): { text: string; upstreamOf: Map<string, string> } {
  const upstreamOf = new Map<string, string>();
  const out = rewritePlaylist(text, BASE, (ref: UriRef) => {
    const proxy = `https://onair.example/api/v1/proxy/p${upstreamOf.size}.ts`;
    upstreamOf.set(proxy, ref.url);
    return proxy;
  });
  return { text: out, upstreamOf };
}

describe('rewritten playlists read by hls.js as the originals are', () => {
  it.each([
    [
      'consecutive byte ranges of one file without offsets',
      '#EXTM3U\n#EXT-X-VERSION:4\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:3\n#EXTINF:2,\n#EXT-X-BYTERANGE:1000@0\nall.ts\n#EXTINF:2,\n#EXT-X-BYTERANGE:800\nall.ts\n#EXTINF:2,\n#EXT-X-BYTERANGE:600\nall.ts\n',
    ],
    [
      'LL-HLS parts with byte ranges without offsets',
      '#EXTM3U\n#EXT-X-VERSION:9\n#EXT-X-TARGETDURATION:2\n#EXT-X-PART-INF:PART-TARGET=0.5\n#EXT-X-MEDIA-SEQUENCE:10\n#EXTINF:2,\nseg10.mp4\n#EXT-X-PART:DURATION=0.5,URI="seg11.mp4",BYTERANGE="400@0",INDEPENDENT=YES\n#EXT-X-PART:DURATION=0.5,URI="seg11.mp4",BYTERANGE="300"\n#EXT-X-PART:DURATION=0.5,URI="seg11.mp4",BYTERANGE="350"\n',
    ],
  ])('%s', (_name, upstream) => {
    const base = parse(upstream);
    const rewritten = rewriteDistinct(upstream);
    const ours = parse(rewritten.text);
    expect(ours.fragments.map((f) => [f.sn, f.range])).toEqual(
      base.fragments.map((f) => [f.sn, f.range]),
    );
    expect(ours.fragments.map((f) => rewritten.upstreamOf.get(f.url))).toEqual(
      base.fragments.map((f) => f.url),
    );
    expect(ours.parts.map((p) => p.range)).toEqual(base.parts.map((p) => p.range));
    expect(ours.parts.map((p) => rewritten.upstreamOf.get(p.url))).toEqual(
      base.parts.map((p) => p.url),
    );
  });

  it('a QUERYPARAM value that tries to add lines: the same segments, still live', () => {
    const base = `${BASE}?k=${encodeURIComponent('a"\n#EXT-X-ENDLIST\n#EXTINF:2,\nhttp://evil.example/x.ts')}`;
    const upstream =
      '#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-DEFINE:QUERYPARAM="k"\n#EXT-X-DATERANGE:ID="d",START-DATE="2026-01-01T00:00:00Z",X-COM-K="{$k}"\n#EXTINF:2,\nseg.ts?k={$k}\n#EXTINF:2,\nseg2.ts\n#EXT-X-RENDITION-REPORT:URI="other.m3u8?k={$k}",LAST-MSN=1\n';
    const out = rewritePlaylist(upstream, base, (ref) => (ref.playlist ? 'p.m3u8' : 'p.ts'));
    const details = M3U8Parser.parseLevelPlaylist(out, base, 0, PlaylistLevelType.MAIN, 0, null);
    expect(details.fragments).toHaveLength(2);
    expect(details.live).toBe(true);
    expect(out).not.toContain('evil.example');
  });
});
