import { describe, expect, it } from 'vitest';
import {
  collectUris,
  deliveryDirectives,
  playlistVariables,
  rewritePlaylist,
  withDirectives,
  type UriRef,
} from './rewrite.js';

const BASE = 'https://cdn.example/live/v1/index.m3u8?token=abc';
/** Maps every URI to `P(<kind>|<ident>|<url>)` so a test sees exactly what the proxy would sign. */
const mark = (ref: UriRef) => `P(${ref.kind}|${ref.ident}|${ref.url}${ref.playlist ? '|pl' : ''})`;
const rewrite = (text: string, base = BASE, imports?: ReadonlyMap<string, string>) =>
  rewritePlaylist(text, base, mark, imports ? { imports } : {}).split('\n');

describe('rewritePlaylist: every URI-bearing place of PROTOCOLS.md §6.1', () => {
  const cases: { name: string; input: string; expected: string }[] = [
    {
      name: 'media segment line (relative)',
      input: '#EXTINF:1.0,\nseg_1.ts',
      expected: 'P(segment|seg:0|https://cdn.example/live/v1/seg_1.ts)',
    },
    {
      name: 'media segment line (absolute, other host)',
      input: '#EXTINF:1.0,\nhttps://edge.example/a/seg.ts?sig=1',
      expected: 'P(segment|seg:0|https://edge.example/a/seg.ts?sig=1)',
    },
    {
      name: 'media segment line (root-relative)',
      input: '#EXTINF:1.0,\n/other/seg.ts',
      expected: 'P(segment|seg:0|https://cdn.example/other/seg.ts)',
    },
    {
      name: 'media segment line (parent-relative)',
      input: '#EXTINF:1.0,\n../v2/seg.ts',
      expected: 'P(segment|seg:0|https://cdn.example/live/v2/seg.ts)',
    },
    {
      name: 'EXT-X-STREAM-INF: the next line',
      input: '#EXT-X-STREAM-INF:BANDWIDTH=1000,RESOLUTION=640x360\nlow/index.m3u8',
      expected: 'P(variant|variant:0|https://cdn.example/live/v1/low/index.m3u8|pl)',
    },
    {
      name: 'EXT-X-I-FRAME-STREAM-INF URI',
      input: '#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=100,URI="iframe.m3u8"',
      expected:
        '#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=100,URI="P(iframe|iframe:0|https://cdn.example/live/v1/iframe.m3u8|pl)"',
    },
    {
      name: 'EXT-X-MEDIA URI',
      input: '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="en",URI="audio/en.m3u8",DEFAULT=YES',
      expected:
        '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="en",URI="P(media|media:AUDIO:aud:en|https://cdn.example/live/v1/audio/en.m3u8|pl)",DEFAULT=YES',
    },
    {
      name: 'EXT-X-MEDIA without URI (closed captions) kept',
      input: '#EXT-X-MEDIA:TYPE=CLOSED-CAPTIONS,GROUP-ID="cc",NAME="en",INSTREAM-ID="CC1"',
      expected: '#EXT-X-MEDIA:TYPE=CLOSED-CAPTIONS,GROUP-ID="cc",NAME="en",INSTREAM-ID="CC1"',
    },
    {
      name: 'EXT-X-KEY URI',
      input: '#EXT-X-KEY:METHOD=AES-128,URI="key.bin",IV=0x1',
      expected:
        '#EXT-X-KEY:METHOD=AES-128,URI="P(key|key:0:0|https://cdn.example/live/v1/key.bin)",IV=0x1',
    },
    {
      name: 'EXT-X-KEY METHOD=NONE kept',
      input: '#EXT-X-KEY:METHOD=NONE',
      expected: '#EXT-X-KEY:METHOD=NONE',
    },
    {
      name: 'EXT-X-KEY skd:// kept',
      input:
        '#EXT-X-KEY:METHOD=SAMPLE-AES,URI="skd://key-id",KEYFORMAT="com.apple.streamingkeydelivery"',
      expected:
        '#EXT-X-KEY:METHOD=SAMPLE-AES,URI="skd://key-id",KEYFORMAT="com.apple.streamingkeydelivery"',
    },
    {
      name: 'EXT-X-KEY data: kept',
      input:
        '#EXT-X-KEY:METHOD=SAMPLE-AES,URI="data:text/plain;base64,AAAA",KEYFORMAT="urn:uuid:edef8ba9"',
      expected:
        '#EXT-X-KEY:METHOD=SAMPLE-AES,URI="data:text/plain;base64,AAAA",KEYFORMAT="urn:uuid:edef8ba9"',
    },
    {
      name: 'EXT-X-SESSION-KEY URI',
      input: '#EXT-X-SESSION-KEY:METHOD=AES-128,URI="https://keys.example/k"',
      expected:
        '#EXT-X-SESSION-KEY:METHOD=AES-128,URI="P(session-key|session-key:0|https://keys.example/k)"',
    },
    {
      name: 'EXT-X-MAP URI with BYTERANGE',
      input: '#EXT-X-MAP:URI="init.mp4",BYTERANGE="720@0"',
      expected:
        '#EXT-X-MAP:URI="P(map|map:0|https://cdn.example/live/v1/init.mp4)",BYTERANGE="720@0"',
    },
    {
      name: 'EXT-X-SESSION-DATA URI',
      input: '#EXT-X-SESSION-DATA:DATA-ID="com.example.title",URI="title.json"',
      expected:
        '#EXT-X-SESSION-DATA:DATA-ID="com.example.title",URI="P(session-data|session-data:com.example.title:|https://cdn.example/live/v1/title.json)"',
    },
    {
      name: 'EXT-X-SESSION-DATA VALUE kept',
      input: '#EXT-X-SESSION-DATA:DATA-ID="com.example.title",VALUE="hello"',
      expected: '#EXT-X-SESSION-DATA:DATA-ID="com.example.title",VALUE="hello"',
    },
    {
      name: 'EXT-X-PART (LL-HLS)',
      input: '#EXT-X-PART:DURATION=0.2,URI="part0.mp4",INDEPENDENT=YES',
      expected:
        '#EXT-X-PART:DURATION=0.2,URI="P(part|part:0:0|https://cdn.example/live/v1/part0.mp4)",INDEPENDENT=YES',
    },
    {
      name: 'EXT-X-PART with BYTERANGE and GAP',
      input: '#EXT-X-PART:DURATION=0.2,URI="seg.mp4",BYTERANGE=1000@0,GAP=YES',
      expected:
        '#EXT-X-PART:DURATION=0.2,URI="P(part|part:0:0|https://cdn.example/live/v1/seg.mp4)",BYTERANGE=1000@0,GAP=YES',
    },
    {
      name: 'EXT-X-PRELOAD-HINT (LL-HLS)',
      input: '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part9.mp4",BYTERANGE-START=0',
      expected:
        '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="P(preload-hint|hint:PART:0:0|https://cdn.example/live/v1/part9.mp4)",BYTERANGE-START=0',
    },
    {
      name: 'EXT-X-RENDITION-REPORT (LL-HLS), relative to this playlist',
      input: '#EXT-X-RENDITION-REPORT:URI="../v2/index.m3u8",LAST-MSN=10,LAST-PART=2',
      expected:
        '#EXT-X-RENDITION-REPORT:URI="P(rendition-report|report:0|https://cdn.example/live/v2/index.m3u8|pl)",LAST-MSN=10,LAST-PART=2',
    },
    {
      name: 'EXT-X-CONTENT-STEERING SERVER-URI',
      input: '#EXT-X-CONTENT-STEERING:SERVER-URI="/steer.json",PATHWAY-ID="CDN-A"',
      expected:
        '#EXT-X-CONTENT-STEERING:SERVER-URI="P(steering|steering|https://cdn.example/steer.json)",PATHWAY-ID="CDN-A"',
    },
    {
      name: 'EXT-X-DATERANGE interstitial X-ASSET-URI',
      input:
        '#EXT-X-DATERANGE:ID="ad1",CLASS="com.apple.hls.interstitial",START-DATE="2026-01-01T00:00:00Z",X-ASSET-URI="ads/ad.m3u8"',
      expected:
        '#EXT-X-DATERANGE:ID="ad1",CLASS="com.apple.hls.interstitial",START-DATE="2026-01-01T00:00:00Z",X-ASSET-URI="P(asset|ext-x-daterange:ad1:X-ASSET-URI|https://cdn.example/live/v1/ads/ad.m3u8|pl)"',
    },
    {
      name: 'EXT-X-DATERANGE interstitial X-ASSET-LIST',
      input:
        '#EXT-X-DATERANGE:ID="ad2",CLASS="com.apple.hls.interstitial",START-DATE="2026-01-01T00:00:00Z",X-ASSET-LIST="list.json"',
      expected:
        '#EXT-X-DATERANGE:ID="ad2",CLASS="com.apple.hls.interstitial",START-DATE="2026-01-01T00:00:00Z",X-ASSET-LIST="P(asset-list|ext-x-daterange:ad2:X-ASSET-LIST|https://cdn.example/live/v1/list.json)"',
    },
    {
      name: 'unknown tag kept verbatim',
      input: '#EXT-X-FUTURE-TAG:URI="not/for/us",X=1',
      expected: '#EXT-X-FUTURE-TAG:URI="not/for/us",X=1',
    },
    {
      name: 'comment kept verbatim',
      input: '# a comment with seg.ts in it',
      expected: '# a comment with seg.ts in it',
    },
  ];
  it.each(cases)('$name', ({ input, expected }) => {
    const out = rewrite(`#EXTM3U\n${input}`);
    expect(out[0]).toBe('#EXTM3U');
    expect(out[out.length - 1]).toBe(expected);
  });
});

describe('rewritePlaylist: sequence numbers, LL-HLS and variables', () => {
  it('numbers segments, parts, keys and maps by media sequence number', () => {
    const text = [
      '#EXTM3U',
      '#EXT-X-TARGETDURATION:4',
      '#EXT-X-MEDIA-SEQUENCE:100',
      '#EXT-X-MAP:URI="init.mp4"',
      '#EXTINF:4,',
      'a.m4s',
      '#EXT-X-KEY:METHOD=AES-128,URI="k2"',
      '#EXT-X-PART:DURATION=1,URI="b.0.m4s"',
      '#EXT-X-PART:DURATION=1,URI="b.1.m4s"',
      '#EXTINF:2,',
      'b.m4s',
      '#EXT-X-PART:DURATION=1,URI="c.0.m4s"',
      '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="c.1.m4s"',
      '#EXT-X-RENDITION-REPORT:URI="../v2/index.m3u8",LAST-MSN=101',
    ].join('\n');
    expect(collectUris(text, BASE).map((r) => `${r.kind} ${r.ident}`)).toEqual([
      'map map:100',
      'segment seg:100',
      'key key:101:0',
      'part part:101:0',
      'part part:101:1',
      'segment seg:101',
      'part part:102:0',
      'preload-hint hint:PART:102:1',
      'rendition-report report:0',
    ]);
  });

  it('counts skipped segments of a delta update', () => {
    const text =
      '#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:10\n#EXT-X-SKIP:SKIPPED-SEGMENTS=3\n#EXTINF:1,\nx.ts';
    expect(collectUris(text, BASE).map((r) => r.ident)).toEqual(['seg:13']);
  });

  it('keeps BYTERANGE, tags and blank lines around rewritten lines', () => {
    const text =
      '#EXTM3U\n#EXT-X-VERSION:4\n\n#EXTINF:1,\n#EXT-X-BYTERANGE:100@0\nall.ts\n#EXT-X-ENDLIST';
    expect(rewrite(text)).toEqual([
      '#EXTM3U',
      '#EXT-X-VERSION:4',
      '',
      '#EXTINF:1,',
      '#EXT-X-BYTERANGE:100@0',
      'P(segment|seg:0|https://cdn.example/live/v1/all.ts)',
      '#EXT-X-ENDLIST',
    ]);
  });

  it('resolves against the final URL after redirects, not the query of the playlist', () => {
    const out = rewrite(
      '#EXTM3U\n#EXTINF:1,\nseg.ts',
      'https://edge-7.example/t/abc/1767225600/live/index.m3u8?x=1',
    );
    expect(out[2]).toBe('P(segment|seg:0|https://edge-7.example/t/abc/1767225600/live/seg.ts)');
  });

  it('substitutes QUERYPARAM variables and drops the define when nothing else uses it', () => {
    const text = '#EXTM3U\n#EXT-X-DEFINE:QUERYPARAM="token"\n#EXTINF:1,\nseg.ts?token={$token}';
    expect(rewrite(text)).toEqual([
      '#EXTM3U',
      '#EXTINF:1,',
      'P(segment|seg:0|https://cdn.example/live/v1/seg.ts?token=abc)',
    ]);
  });

  it('keeps a QUERYPARAM define (as NAME/VALUE) that a non-URI attribute still uses', () => {
    const text =
      '#EXTM3U\n#EXT-X-DEFINE:QUERYPARAM="token"\n#EXT-X-SESSION-DATA:DATA-ID="t",VALUE="{$token}"';
    expect(rewrite(text)).toEqual([
      '#EXTM3U',
      '#EXT-X-DEFINE:NAME="token",VALUE="abc"',
      '#EXT-X-SESSION-DATA:DATA-ID="t",VALUE="{$token}"',
    ]);
  });

  it('keeps QUERYPARAM defines in a multivariant playlist (media playlists may import them)', () => {
    const text =
      '#EXTM3U\n#EXT-X-DEFINE:QUERYPARAM="token"\n#EXT-X-STREAM-INF:BANDWIDTH=1\nv.m3u8?t={$token}';
    expect(rewrite(text)).toEqual([
      '#EXTM3U',
      '#EXT-X-DEFINE:NAME="token",VALUE="abc"',
      '#EXT-X-STREAM-INF:BANDWIDTH=1',
      'P(variant|variant:0|https://cdn.example/live/v1/v.m3u8?t=abc|pl)',
    ]);
  });

  it('substitutes NAME/VALUE and IMPORT variables in URIs', () => {
    const text =
      '#EXTM3U\n#EXT-X-DEFINE:NAME="dir",VALUE="hi"\n#EXT-X-DEFINE:IMPORT="auth"\n#EXTINF:1,\n{$dir}/s.ts?a={$auth}';
    expect(rewrite(text, BASE, new Map([['auth', 'zz']]))).toEqual([
      '#EXTM3U',
      '#EXT-X-DEFINE:NAME="dir",VALUE="hi"',
      '#EXTINF:1,',
      'P(segment|seg:0|https://cdn.example/live/v1/hi/s.ts?a=zz)',
    ]);
  });

  it("reads a multivariant playlist's variables for import", () => {
    const text = '#EXTM3U\n#EXT-X-DEFINE:NAME="a",VALUE="1"\n#EXT-X-DEFINE:QUERYPARAM="token"';
    expect([...playlistVariables(text, BASE)]).toEqual([
      ['a', '1'],
      ['token', 'abc'],
    ]);
  });

  it('keeps a line the mapper declines', () => {
    expect(rewritePlaylist('#EXTM3U\n#EXTINF:1,\r\nseg.ts', BASE, () => null)).toBe(
      '#EXTM3U\n#EXTINF:1,\nseg.ts',
    );
  });
});

describe('LL-HLS delivery directives', () => {
  it('passes _HLS_* parameters through unchanged and nothing else', () => {
    const directives = deliveryDirectives({
      _HLS_msn: '12',
      _HLS_part: '3',
      _HLS_skip: 'YES',
      other: 'x',
    });
    expect(directives).toEqual([
      ['_HLS_msn', '12'],
      ['_HLS_part', '3'],
      ['_HLS_skip', 'YES'],
    ]);
    expect(withDirectives('https://cdn.example/i.m3u8?token=a', directives)).toBe(
      'https://cdn.example/i.m3u8?token=a&_HLS_msn=12&_HLS_part=3&_HLS_skip=YES',
    );
    expect(withDirectives('https://cdn.example/i.m3u8?token=a', [])).toBe(
      'https://cdn.example/i.m3u8?token=a',
    );
  });
});
