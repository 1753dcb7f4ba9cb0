import { describe, expect, it } from 'vitest';
import { rewriteAssetList, rewriteSteeringManifest } from './json-documents.js';
import { rewritePlaylist, type UriRef } from './rewrite.js';

const BASE = 'https://cdn.example/live/index.m3u8?token=abc';
/** Every proxy URI differs (as sealed tokens do): only explicit offsets keep byte ranges right. */
let n = 0;
const distinct = (ref: UriRef) => `P${n++}(${ref.kind}|${ref.url})`;
const rewrite = (body: string, base = BASE) => {
  n = 0;
  return rewritePlaylist(`#EXTM3U\n${body}`, base, distinct).split('\n').slice(1);
};

describe('byte ranges (RFC 8216 §4.3.2.2, EXT-X-PART BYTERANGE): offsets written when omitted', () => {
  const cases: { name: string; input: string[]; expected: string[] }[] = [
    {
      name: 'consecutive pieces of one file, no offsets',
      input: [
        '#EXTINF:2,',
        '#EXT-X-BYTERANGE:100@0',
        'a.ts',
        '#EXTINF:2,',
        '#EXT-X-BYTERANGE:50',
        'a.ts',
        '#EXTINF:2,',
        '#EXT-X-BYTERANGE:70',
        'a.ts',
      ],
      expected: [
        '#EXTINF:2,',
        '#EXT-X-BYTERANGE:100@0',
        'P0(segment|https://cdn.example/live/a.ts)',
        '#EXTINF:2,',
        '#EXT-X-BYTERANGE:50@100',
        'P1(segment|https://cdn.example/live/a.ts)',
        '#EXTINF:2,',
        '#EXT-X-BYTERANGE:70@150',
        'P2(segment|https://cdn.example/live/a.ts)',
      ],
    },
    {
      name: 'explicit offsets are kept as written',
      input: ['#EXT-X-BYTERANGE:10@500', 'a.ts', '#EXT-X-BYTERANGE:10@0', 'a.ts'],
      expected: [
        '#EXT-X-BYTERANGE:10@500',
        'P0(segment|https://cdn.example/live/a.ts)',
        '#EXT-X-BYTERANGE:10@0',
        'P1(segment|https://cdn.example/live/a.ts)',
      ],
    },
    {
      name: 'another file in between: no offset can be known, the line stays',
      input: ['#EXT-X-BYTERANGE:10@0', 'a.ts', '#EXT-X-BYTERANGE:10', 'b.ts'],
      expected: [
        '#EXT-X-BYTERANGE:10@0',
        'P0(segment|https://cdn.example/live/a.ts)',
        '#EXT-X-BYTERANGE:10',
        'P1(segment|https://cdn.example/live/b.ts)',
      ],
    },
    {
      name: 'the same file by another spelling (relative, absolute) is the same resource',
      input: [
        '#EXT-X-BYTERANGE:10@0',
        'a.ts',
        '#EXT-X-BYTERANGE:20',
        'https://cdn.example/live/a.ts',
      ],
      expected: [
        '#EXT-X-BYTERANGE:10@0',
        'P0(segment|https://cdn.example/live/a.ts)',
        '#EXT-X-BYTERANGE:20@10',
        'P1(segment|https://cdn.example/live/a.ts)',
      ],
    },
    {
      name: 'a piece without a range resets the chain',
      input: ['#EXT-X-BYTERANGE:10@0', 'a.ts', 'a.ts', '#EXT-X-BYTERANGE:10', 'a.ts'],
      expected: [
        '#EXT-X-BYTERANGE:10@0',
        'P0(segment|https://cdn.example/live/a.ts)',
        'P1(segment|https://cdn.example/live/a.ts)',
        '#EXT-X-BYTERANGE:10',
        'P2(segment|https://cdn.example/live/a.ts)',
      ],
    },
    {
      name: 'EXT-X-PART byte ranges of one file',
      input: [
        '#EXT-X-PART:DURATION=0.5,URI="p.mp4",BYTERANGE="400@0"',
        '#EXT-X-PART:DURATION=0.5,URI="p.mp4",BYTERANGE="300"',
      ],
      expected: [
        '#EXT-X-PART:DURATION=0.5,URI="P0(part|https://cdn.example/live/p.mp4)",BYTERANGE="400@0"',
        '#EXT-X-PART:DURATION=0.5,URI="P1(part|https://cdn.example/live/p.mp4)",BYTERANGE="300@400"',
      ],
    },
    {
      name: 'EXT-X-PART of another file: left as written',
      input: [
        '#EXT-X-PART:DURATION=0.5,URI="p.mp4",BYTERANGE="400@0"',
        '#EXT-X-PART:DURATION=0.5,URI="q.mp4",BYTERANGE="300"',
      ],
      expected: [
        '#EXT-X-PART:DURATION=0.5,URI="P0(part|https://cdn.example/live/p.mp4)",BYTERANGE="400@0"',
        '#EXT-X-PART:DURATION=0.5,URI="P1(part|https://cdn.example/live/q.mp4)",BYTERANGE="300"',
      ],
    },
  ];
  it.each(cases)('$name', ({ input, expected }) => {
    expect(rewrite(input.join('\n'))).toEqual(expected);
  });
});

describe('QUERYPARAM values (RFC 8216 §4.2): never an injected line', () => {
  const body = (name: string) =>
    [
      `#EXT-X-DEFINE:QUERYPARAM="${name}"`,
      '#EXT-X-SESSION-DATA:DATA-ID="x",VALUE="{$' + name + '}"',
      '#EXTINF:2,',
      'seg.ts?k={$' + name + '}',
    ].join('\n');
  const cases: { name: string; query: string; define: string | null; segment: string }[] = [
    {
      name: 'a plain value is written',
      query: 'k=abc',
      define: '#EXT-X-DEFINE:NAME="k",VALUE="abc"',
      segment: 'P0(segment|https://cdn.example/live/seg.ts?k=abc)',
    },
    {
      name: 'a quote is not written (it would end the quoted-string)',
      query: 'k=a%22%2C%23EVIL',
      define: null,
      segment: 'P0(segment|https://cdn.example/live/seg.ts?k=a%22,',
    },
    {
      name: 'an encoded newline is not written (it would start a new line)',
      query: 'k=a%0A%23EXT-X-ENDLIST',
      define: null,
      segment: 'P0(segment|https://cdn.example/live/seg.ts?k=a',
    },
    {
      name: 'an encoded carriage return is not written',
      query: 'k=a%0Db',
      define: null,
      segment: 'P0(segment|https://cdn.example/live/seg.ts?k=a',
    },
  ];
  it.each(cases)('$name', ({ query, define, segment }) => {
    const out = rewrite(body('k'), `https://cdn.example/live/index.m3u8?${query}`);
    expect(out.filter((l) => l.startsWith('#EXT-X-DEFINE'))).toEqual(
      define === null ? [] : [define],
    );
    // Substituted into the URI (which the proxy signs), the value cannot reach a line of its own.
    expect(out.at(-1)!.startsWith(segment)).toBe(true);
    expect(out.some((l) => l === '#EXT-X-ENDLIST' || l.startsWith('#EVIL'))).toBe(false);
    // Every output line is one of ours: as many lines as went in, minus a define not written.
    expect(out).toHaveLength(define === null ? 3 : 4);
  });

  it('a variable name outside [A-Za-z0-9_-] is not substituted or written', () => {
    const out = rewrite(
      '#EXT-X-DEFINE:QUERYPARAM="a b"\n#EXTINF:2,\nseg.ts',
      'https://cdn.example/live/i.m3u8?a%20b=x',
    );
    expect(out[0]).toBe('#EXT-X-DEFINE:QUERYPARAM="a b"');
  });
});

describe('EXT-X-PREFETCH (low-latency pre-HLS)', () => {
  it('rewrites prefetch URIs, numbered as the segments they become', () => {
    n = 0;
    const refs: UriRef[] = [];
    const out = rewritePlaylist(
      '#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:10\n#EXTINF:2,\ns10.ts\n#EXT-X-PREFETCH:s11.ts\n#EXT-X-PREFETCH:https://edge.example/s12.ts',
      BASE,
      (ref) => {
        refs.push(ref);
        return `P${refs.length - 1}`;
      },
    ).split('\n');
    expect(out.slice(-2)).toEqual(['#EXT-X-PREFETCH:P1', '#EXT-X-PREFETCH:P2']);
    expect(refs.map((r) => [r.kind, r.ident])).toEqual([
      ['segment', 'seg:10'],
      ['prefetch', 'seg:11'],
      ['prefetch', 'seg:12'],
    ]);
  });
});

describe('JSON documents: content-steering manifests and interstitial asset lists', () => {
  const map = (ref: UriRef) =>
    `P(${ref.kind}|${ref.ident}|${ref.url}${ref.playlist ? '|pl' : ''}${ref.json === true ? '|json' : ''})`;
  it('rewrites RELOAD-URI and per-variant/rendition URIs, drops a clone HOST', () => {
    const manifest = {
      VERSION: 1,
      TTL: 300,
      'RELOAD-URI': 'steer?session=1',
      'PATHWAY-PRIORITY': ['CDN-A', 'CDN-B'],
      'PATHWAY-CLONES': [
        {
          'BASE-ID': 'CDN-A',
          ID: 'CDN-B',
          'URI-REPLACEMENT': {
            HOST: 'evil.example',
            PARAMS: { b: '1' },
            'PER-VARIANT-URIS': { v1: 'https://b.example/v1.m3u8', bad: 'javascript:alert(1)' },
            'PER-RENDITION-URIS': { a1: '/audio.m3u8' },
          },
        },
      ],
    };
    const out = rewriteSteeringManifest(
      JSON.stringify(manifest),
      'https://cdn.example/s/steer',
      map,
    );
    expect(out.ok).toBe(true);
    const doc = JSON.parse(out.ok ? out.body : '{}');
    expect(doc['RELOAD-URI']).toBe(
      'P(steering|steering|https://cdn.example/s/steer?session=1|json)',
    );
    const replacement = doc['PATHWAY-CLONES'][0]['URI-REPLACEMENT'];
    expect(replacement.HOST).toBeUndefined();
    expect(replacement.PARAMS).toEqual({ b: '1' });
    expect(replacement['PER-VARIANT-URIS']).toEqual({
      v1: 'P(variant|steering:CDN-B:PER-VARIANT-URIS:v1|https://b.example/v1.m3u8|pl)',
    });
    expect(replacement['PER-RENDITION-URIS']).toEqual({
      a1: 'P(media|steering:CDN-B:PER-RENDITION-URIS:a1|https://cdn.example/audio.m3u8|pl)',
    });
    expect(doc['PATHWAY-PRIORITY']).toEqual(['CDN-A', 'CDN-B']);
  });

  it('rewrites every asset URI of an asset list and leaves out what is not http(s)', () => {
    const list = {
      ASSETS: [
        { URI: 'ad1/index.m3u8', DURATION: 15 },
        { URI: 'data:,x', DURATION: 5 },
      ],
      'X-FOO': 1,
    };
    const out = rewriteAssetList(JSON.stringify(list), 'https://ads.example/list.json', map);
    expect(out.ok && JSON.parse(out.body)).toEqual({
      ASSETS: [{ URI: 'P(asset|asset:0|https://ads.example/ad1/index.m3u8|pl)', DURATION: 15 }],
      'X-FOO': 1,
    });
  });

  it('refuses what is not a JSON object', () => {
    expect(rewriteAssetList('<html>', BASE, map).ok).toBe(false);
    expect(rewriteSteeringManifest('[1]', BASE, map).ok).toBe(false);
  });
});
