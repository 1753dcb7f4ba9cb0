import { describe, expect, it } from 'vitest';
import { matchSource, type MatchableSource } from './match.js';

const src = (over: Partial<MatchableSource> & { url: string }): MatchableSource => ({
  quality: 'best',
  ...over,
});
const previous = src({
  url: 'https://cdn.example/live/720/i.m3u8?token=old',
  quality: '720p',
  title: 'Main',
  width: 1280,
  height: 720,
  bandwidth: 3_000_000,
});

describe('matchSource', () => {
  const cases: {
    name: string;
    fresh: MatchableSource[];
    expected: ReturnType<typeof matchSource>;
  }[] = [
    {
      name: 'same quality and title wins over everything',
      fresh: [
        src({
          url: 'https://cdn.example/live/720/i.m3u8?token=new',
          quality: '360p',
          title: 'Main',
        }),
        src({ url: 'https://other.example/x.m3u8?token=new', quality: '720p', title: 'Main' }),
      ],
      expected: { index: 1, rule: 'qualityTitle' },
    },
    {
      name: 'same title needed: a missing title is not "Main"',
      fresh: [
        src({ url: 'https://cdn.example/live/720/i.m3u8?token=new', quality: '720p' }),
        src({ url: 'https://b.example/x', quality: '360p' }),
      ],
      expected: { index: 0, rule: 'hostPath' },
    },
    {
      name: 'else same host and path ignoring the query',
      fresh: [
        src({ url: 'https://cdn.example/live/360/i.m3u8?token=new', quality: 'low' }),
        src({ url: 'https://cdn.example/live/720/i.m3u8?token=new', quality: 'high' }),
      ],
      expected: { index: 1, rule: 'hostPath' },
    },
    {
      name: 'else same resolution and bandwidth (the CDN host changed)',
      fresh: [
        src({
          url: 'https://edge2.example/a?t=1',
          quality: 'a',
          width: 640,
          height: 360,
          bandwidth: 800_000,
        }),
        src({
          url: 'https://edge2.example/b?t=1',
          quality: 'b',
          width: 1280,
          height: 720,
          bandwidth: 3_000_000,
        }),
      ],
      expected: { index: 1, rule: 'resolutionBandwidth' },
    },
    {
      name: 'else the only result',
      fresh: [src({ url: 'https://edge9.example/z?t=1', quality: 'source' })],
      expected: { index: 0, rule: 'only' },
    },
    {
      name: 'two equally good candidates are no match for that rule',
      fresh: [
        src({ url: 'https://cdn.example/live/720/i.m3u8?a', quality: 'x' }),
        src({ url: 'https://cdn.example/live/720/i.m3u8?b', quality: 'y' }),
      ],
      expected: null,
    },
    {
      name: 'nothing alike among several: no match',
      fresh: [
        src({ url: 'https://a.example/1', quality: 'a' }),
        src({ url: 'https://a.example/2', quality: 'b' }),
      ],
      expected: null,
    },
    { name: 'no results: no match', fresh: [], expected: null },
  ];
  it.each(cases)('$name', ({ fresh, expected }) => {
    expect(matchSource(previous, fresh)).toEqual(expected);
  });
});
