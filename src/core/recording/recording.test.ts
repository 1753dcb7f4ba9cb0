import { describe, expect, it } from 'vitest';
import { parseMediaPlaylist, sequenceIv, type MediaPlaylist } from './media-playlist.js';
import {
  alternativePath,
  parseSize,
  recordingPath,
  templateProblem,
  type NameFields,
} from './naming.js';
import { selectQuality } from './quality.js';
import { partsToDelete } from './retention.js';
import { advance, reloadDelayMs, track, type TrackState, type TrackStep } from './tracker.js';

function playlist(
  first: number,
  names: readonly string[],
  extra: { target?: number; dsn?: number; end?: boolean; head?: string } = {},
): MediaPlaylist {
  const lines = [
    '#EXTM3U',
    `#EXT-X-TARGETDURATION:${extra.target ?? 2}`,
    `#EXT-X-MEDIA-SEQUENCE:${first}`,
  ];
  if (extra.dsn !== undefined) lines.push(`#EXT-X-DISCONTINUITY-SEQUENCE:${extra.dsn}`);
  if (extra.head) lines.push(extra.head);
  for (const name of names) {
    if (name === '|') lines.push('#EXT-X-DISCONTINUITY');
    else if (name.startsWith('gap:')) lines.push('#EXT-X-GAP', '#EXTINF:2.0,', name.slice(4));
    else lines.push('#EXTINF:2.000,', name);
  }
  if (extra.end) lines.push('#EXT-X-ENDLIST');
  const parsed = parseMediaPlaylist(lines.join('\n'));
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.playlist;
}

/** Steps as short strings: `seg:<msn>`, `gap:<from>-<to>`, `split:<reason>`, `end:<reason>`. */
function brief(steps: readonly TrackStep[]): string[] {
  return steps.map((s) => {
    switch (s.kind) {
      case 'segment':
        return `seg:${s.segment.msn}`;
      case 'gap':
        return `gap:${s.fromMsn}-${s.toMsn}${s.reason === 'gapTag' ? '!' : ''}`;
      case 'split':
        return `split:${s.reason}`;
      case 'end':
        return `end:${s.reason}`;
    }
  });
}

describe('parseMediaPlaylist', () => {
  it('numbers segments by MSN and DSN, with byte ranges, maps, program date-time, gaps and keys', () => {
    const parsed = parseMediaPlaylist(
      [
        '#EXTM3U',
        '#EXT-X-VERSION:7',
        '#EXT-X-TARGETDURATION:4',
        '#EXT-X-MEDIA-SEQUENCE:100',
        '#EXT-X-DISCONTINUITY-SEQUENCE:7',
        '#EXT-X-MAP:URI="init.mp4",BYTERANGE="720@0"',
        '#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:00.000Z',
        '#EXTINF:4.0,',
        '#EXT-X-BYTERANGE:1000@720',
        'media.mp4',
        '#EXTINF:3.5,',
        '#EXT-X-BYTERANGE:500',
        'media.mp4',
        '#EXT-X-DISCONTINUITY',
        '#EXT-X-KEY:METHOD=AES-128,URI="k"',
        '#EXT-X-GAP',
        '#EXTINF:4,',
        'c.m4s?tok=1',
      ].join('\r\n'),
    );
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.playlist).toMatchObject({
      targetDuration: 4,
      mediaSequence: 100,
      discontinuitySequence: 7,
      endList: false,
    });
    expect(parsed.playlist.segments).toStrictEqual([
      {
        msn: 100,
        dsn: 7,
        uri: 'media.mp4',
        duration: 4,
        gap: false,
        range: '720-1719',
        map: { uri: 'init.mp4', range: '0-719' },
        programDateTime: Date.parse('2026-01-01T00:00:00Z'),
        encrypted: false,
        key: null,
        discontinuity: false,
      },
      {
        msn: 101,
        dsn: 7,
        uri: 'media.mp4',
        duration: 3.5,
        gap: false,
        range: '1720-2219',
        map: { uri: 'init.mp4', range: '0-719' },
        programDateTime: null,
        encrypted: false,
        key: null,
        discontinuity: false,
      },
      {
        msn: 102,
        dsn: 8,
        uri: 'c.m4s?tok=1',
        duration: 4,
        gap: true,
        range: null,
        map: { uri: 'init.mp4', range: '0-719' },
        programDateTime: null,
        encrypted: true,
        key: { method: 'AES-128', uri: 'k', iv: null, format: 'identity' },
        discontinuity: true,
      },
    ]);
  });

  it.each([
    ['not a playlist', 'hello', false],
    ['a multivariant playlist', '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nv.m3u8', true],
    ['no target duration', '#EXTM3U\n#EXTINF:1,\na.ts', false],
  ])('refuses %s, as a value', (_name, text, multivariant) => {
    expect(parseMediaPlaylist(text)).toMatchObject({ ok: false, multivariant });
  });
});

describe('track (MSN/DSN rules of PROTOCOLS.md §6.4)', () => {
  const at = (lastMsn: number, lastDsn = 0, targetDuration = 2): TrackState => ({
    lastMsn,
    lastDsn,
    targetDuration,
  });
  const rows: [string, TrackState | null, MediaPlaylist, string[], boolean][] = [
    [
      'first load records the whole window',
      null,
      playlist(10, ['a', 'b', 'c']),
      ['seg:10', 'seg:11', 'seg:12'],
      true,
    ],
    [
      'only MSNs above the last one, whatever the URIs',
      at(11),
      playlist(11, ['x?t=2', 'y?t=2', 'z?t=2']),
      ['seg:12', 'seg:13'],
      true,
    ],
    ['nothing new: unchanged', at(12), playlist(10, ['a', 'b', 'c']), [], false],
    [
      'window moved past us: a gap, then the rest',
      at(11),
      playlist(15, ['a', 'b']),
      ['gap:12-14', 'seg:15', 'seg:16'],
      true,
    ],
    [
      'MSN went backwards: origin restart, new part from the first',
      at(50),
      playlist(0, ['a', 'b']),
      ['split:restart', 'seg:0', 'seg:1'],
      true,
    ],
    [
      'target duration changed: origin restart',
      at(11),
      playlist(10, ['a', 'b', 'c'], { target: 6 }),
      ['split:restart', 'seg:10', 'seg:11', 'seg:12'],
      true,
    ],
    [
      'a discontinuity splits before its segment',
      at(10, 3),
      playlist(10, ['a', '|', 'b', 'c'], { dsn: 3 }),
      ['split:discontinuity', 'seg:11', 'seg:12'],
      true,
    ],
    [
      'a DSN that moved while we were away splits too',
      at(10, 3),
      playlist(11, ['b'], { dsn: 4 }),
      ['split:discontinuity', 'seg:11'],
      true,
    ],
    [
      'nginx-rtmp: the opening discontinuity leaving the window (DSN 1 → 0) is no split',
      at(12, 1),
      playlist(11, ['b', 'c', 'd']),
      ['seg:13'],
      true,
    ],
    [
      'nginx-rtmp: a real discontinuity later still splits, whatever the DSN did',
      at(13, 0),
      playlist(12, ['c', 'd', '|', 'e']),
      ['split:discontinuity', 'seg:14'],
      true,
    ],
    [
      'the first load does not split at a discontinuity it starts in',
      null,
      playlist(5, ['a', 'b'], { dsn: 9 }),
      ['seg:5', 'seg:6'],
      true,
    ],
    [
      'EXT-X-GAP segments are gaps, not fetched',
      at(0),
      playlist(0, ['a', 'gap:b', 'c']),
      ['gap:1-1!', 'seg:2'],
      true,
    ],
    [
      'ENDLIST ends after the last new segment',
      at(0),
      playlist(0, ['a', 'b'], { end: true }),
      ['seg:1', 'end:endList'],
      true,
    ],
    [
      'ENDLIST with nothing new',
      at(1),
      playlist(0, ['a', 'b'], { end: true }),
      ['end:endList'],
      false,
    ],
    [
      'Owncast offline clip: stop at it',
      at(0),
      playlist(0, ['a', 'b', '|', 'offline.ts'], { end: true }),
      ['seg:1', 'end:offlineClip'],
      true,
    ],
    [
      'Owncast fMP4 offline clip',
      at(0),
      playlist(0, ['a', 'b', '|', 'offline-v2.m4s'], { end: true }),
      ['seg:1', 'end:offlineClip'],
      true,
    ],
  ];
  it.each(rows)('%s', (_name, state, pl, expected, changed) => {
    const result = track(state, pl);
    expect(brief(result.steps)).toStrictEqual(expected);
    expect(result.changed).toBe(changed);
  });

  it('never writes a segment twice nor skips one over many overlapping reloads (property)', () => {
    let state: TrackState | null = null;
    const written: number[] = [];
    // A sliding window of 6 that advances by 0–3 segments per reload.
    let first = 1000;
    for (let reload = 0; reload < 200; reload++) {
      first += (reload * 7) % 4;
      const pl = playlist(first, ['s0', 's1', 's2', 's3', 's4', 's5']);
      for (const step of track(state, pl).steps) {
        if (step.kind === 'segment') {
          written.push(step.segment.msn);
          state = advance(pl, step.segment);
        }
      }
    }
    expect(written).toStrictEqual(Array.from({ length: written.length }, (_, i) => 1000 + i));
  });

  it('reload timing: a target duration after a change, half of one otherwise, from the start of the load', () => {
    expect(reloadDelayMs(true, 2, 300)).toBe(1_700);
    expect(reloadDelayMs(false, 2, 300)).toBe(700);
    expect(reloadDelayMs(true, 2, 5_000)).toBe(0);
  });
});

describe('recordingPath', () => {
  const fields: NameFields = {
    channel: 'cam-1',
    platform: 'hls',
    title: 'Hello: world / part?',
    startedAt: Date.parse('2026-03-04T05:06:07Z'),
    session: 'cam-1-20260304T050607Z',
    part: 1,
  };
  const rows: [string, string, Partial<NameFields>, string, string][] = [
    [
      'the default template',
      '{channel}/{date}/{time}-{title}.ts',
      {},
      'ts',
      'cam-1/2026-03-04/05-06-07-Hello_ world _ part_.ts',
    ],
    [
      'the container decides the extension',
      '{channel}/{date}/{time}-{title}.ts',
      {},
      'flv',
      'cam-1/2026-03-04/05-06-07-Hello_ world _ part_.flv',
    ],
    [
      'later parts get a suffix',
      '{channel}/{time}.ts',
      { part: 3 },
      'ts',
      'cam-1/05-06-07-part3.ts',
    ],
    [
      'a title cannot climb out',
      '{title}/{channel}.ts',
      { title: '../../etc/passwd' },
      'ts',
      '_.._etc_passwd/cam-1.ts',
    ],
    [
      '.. in the template itself is neutralised',
      '../{channel}/../x.ts',
      {},
      'ts',
      '_/cam-1/_/x.ts',
    ],
    ['a leading slash is dropped', '/abs/{channel}.ts', {}, 'ts', 'abs/cam-1.ts'],
    [
      'control characters and dots at the edges go',
      '{title}.ts',
      { title: '.\u0000hidden\n.' },
      'ts',
      '_hidden_.ts',
    ],
    ['no title: untitled', '{channel}-{title}.ts', { title: null }, 'ts', 'cam-1-untitled.ts'],
    ['no extension in the template', '{channel}', {}, 'mp4', 'cam-1.mp4'],
    ['backslashes separate too', 'a\\{channel}.ts', {}, 'ts', 'a/cam-1.ts'],
  ];
  it.each(rows)('%s', (_name, template, change, ext, expected) => {
    expect(recordingPath(template, { ...fields, ...change }, ext)).toBe(expected);
  });

  it('bounds long titles and segments', () => {
    const path = recordingPath('{title}/{title}.ts', { ...fields, title: 'x'.repeat(500) }, 'ts');
    for (const segment of path.split('/'))
      expect(Buffer.byteLength(segment)).toBeLessThanOrEqual(200);
  });

  it('finds alternatives for taken names', () => {
    expect(alternativePath('a/b.ts', 1)).toBe('a/b-1.ts');
    expect(alternativePath('a.b/c', 2)).toBe('a.b/c-2');
  });

  it.each([
    ['{channel}/{date}.ts', null],
    ['{nope}.ts', 'unknown field {nope}'],
    ['dir/', 'must name a file'],
    ['/abs/{channel}.ts', 'must be relative to recordings.dir'],
  ])('templateProblem(%s)', (template, problem) => {
    const result = templateProblem(template);
    if (problem === null) expect(result).toBeNull();
    else expect(result).toContain(problem);
  });

  it.each([
    ['1048576', 1_048_576],
    ['2GB', 2 * 1024 ** 3],
    ['500 MiB', 500 * 1024 ** 2],
    ['1.5t', 1.5 * 1024 ** 4],
    ['lots', undefined],
  ])('parseSize(%s)', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });
});

describe('selectQuality', () => {
  const sources = [
    { quality: 'source', height: 1080 },
    { quality: '720p', height: 720 },
    { quality: '480p' },
    { quality: 'audio_only' },
  ];
  it.each([
    ['best', 0],
    ['worst', 3],
    ['720p', 1],
    ['900p', 1],
    ['480p', 2],
    ['360p', 2],
    ['240p', 2],
    ['2160p', 0],
    ['audio_only', 3],
    ['unknown-label', 0],
  ])('%s → %i', (wish, index) => {
    expect(selectQuality(sources, wish)).toBe(index);
  });
  it('the tallest below the wish, else the shortest above it', () => {
    expect(
      selectQuality(
        [
          { quality: 'a', height: 1080 },
          { quality: 'b', height: 900 },
        ],
        '720p',
      ),
    ).toBe(1);
    expect(selectQuality([], 'best')).toBeNull();
  });
});

describe('partsToDelete', () => {
  const H = 3_600_000;
  const parts = [
    { id: 'a', startedAt: 0, endedAt: H, bytes: 100, recording: false },
    { id: 'b', startedAt: 2 * H, endedAt: 3 * H, bytes: 100, recording: false },
    { id: 'c', startedAt: 4 * H, endedAt: null, bytes: 100, recording: true },
  ];
  it.each([
    ['no policy', { maxAgeMs: null, maxBytes: null }, []],
    ['by age', { maxAgeMs: 2 * H, maxBytes: null }, ['a']],
    ['by size, oldest first', { maxAgeMs: null, maxBytes: 150 }, ['a', 'b']],
    ['by size, just enough', { maxAgeMs: null, maxBytes: 200 }, ['a']],
    ['never the part being written', { maxAgeMs: 0, maxBytes: 0 }, ['a', 'b']],
  ])('%s', (_name, policy, expected) => {
    expect(partsToDelete(parts, policy, 4 * H)).toStrictEqual(expected);
  });
});

describe('nginx-rtmp playlists in a row (it opens each stream with #EXT-X-DISCONTINUITY)', () => {
  it('records one part across the window sliding past the opening discontinuity', () => {
    const windows = [
      playlist(0, ['|', 's0', 's1', 's2']),
      playlist(0, ['|', 's0', 's1', 's2', 's3']),
      playlist(1, ['s1', 's2', 's3', 's4']),
      playlist(2, ['s2', 's3', 's4', 's5']),
    ];
    let state: TrackState | null = null;
    const all: string[] = [];
    for (const window of windows) {
      const { steps } = track(state, window);
      all.push(...brief(steps));
      for (const step of steps) if (step.kind === 'segment') state = advance(window, step.segment);
    }
    expect(all).toEqual(['seg:0', 'seg:1', 'seg:2', 'seg:3', 'seg:4', 'seg:5']);
  });
});

describe('segment keys', () => {
  it('reads METHOD, URI, IV and KEYFORMAT; the default IV is the MSN, big-endian', () => {
    const parsed = parseMediaPlaylist(
      [
        '#EXTM3U',
        '#EXT-X-TARGETDURATION:2',
        '#EXT-X-MEDIA-SEQUENCE:258',
        '#EXT-X-KEY:METHOD=AES-128,URI="key.bin",IV=0x000102030405060708090a0b0c0d0e0f',
        '#EXTINF:2,',
        'a.ts',
        '#EXT-X-KEY:METHOD=SAMPLE-AES,URI="skd://drm",KEYFORMAT="com.apple.streamingkeydelivery"',
        '#EXTINF:2,',
        'b.ts',
        '#EXT-X-KEY:METHOD=NONE',
        '#EXTINF:2,',
        'c.ts',
      ].join('\n'),
    );
    if (!parsed.ok) throw new Error(parsed.error);
    const [a, b, c] = parsed.playlist.segments;
    expect(a?.key).toEqual({
      method: 'AES-128',
      uri: 'key.bin',
      iv: Uint8Array.from({ length: 16 }, (_, i) => i),
      format: 'identity',
    });
    expect(b?.key).toMatchObject({ method: 'SAMPLE-AES', uri: 'skd://drm' });
    expect(c?.key).toBeNull();
    expect(c?.encrypted).toBe(false);
    expect([...sequenceIv(258)]).toEqual([...new Array<number>(14).fill(0), 1, 2]);
  });
});
