import { describe, expect, it } from 'vitest';
import { FlvSplitter, type SplitAction } from './splitter.js';
import { FlvDemuxer, flvHeader, tagInfo, writeTag, type FlvEvent, type TagInfo } from './tags.js';

const avcConfig = (w: number) => Uint8Array.of(0x17, 0x00, 0, 0, 0, 0x01, 0x64, 0x00, w);
const avcKey = Uint8Array.of(0x17, 0x01, 0, 0, 0, 0xaa);
const avcInter = Uint8Array.of(0x27, 0x01, 0, 0, 0, 0xbb);
const aacConfig = (b: number) => Uint8Array.of(0xaf, 0x00, 0x11, b);
const aacFrame = Uint8Array.of(0xaf, 0x01, 0xcc);
const metadata = Uint8Array.of(
  0x02,
  0x00,
  0x0a,
  ...Buffer.from('onMetaData'),
  0x08,
  0,
  0,
  0,
  0,
  0,
  0,
  9,
);

const video = (ts: number, data: Uint8Array) => writeTag(9, ts, data);
const audio = (ts: number, data: Uint8Array) => writeTag(8, ts, data);
const script = (ts: number) => writeTag(18, ts, metadata);

function stream(...tags: Uint8Array[]): Uint8Array {
  return Buffer.concat([flvHeader({ audio: true, video: true }), ...tags]);
}

function demux(bytes: Uint8Array, chunk = bytes.length): FlvEvent[] {
  const d = new FlvDemuxer();
  const events: FlvEvent[] = [];
  for (let i = 0; i < bytes.length; i += chunk)
    events.push(...d.push(bytes.subarray(i, i + chunk)));
  return events;
}

describe('tagInfo', () => {
  const rows: [string, number, number[], TagInfo][] = [
    [
      'AVC sequence header',
      9,
      [0x17, 0x00, 0, 0, 0],
      { kind: 'video', codec: 'avc1', config: true, keyframe: false },
    ],
    [
      'AVC keyframe',
      9,
      [0x17, 0x01, 0, 0, 0],
      { kind: 'video', codec: 'avc1', config: false, keyframe: true },
    ],
    [
      'AVC inter frame',
      9,
      [0x27, 0x01, 0, 0, 0],
      { kind: 'video', codec: 'avc1', config: false, keyframe: false },
    ],
    [
      'AVC end of sequence',
      9,
      [0x17, 0x02, 0, 0, 0],
      { kind: 'video', codec: 'avc1', config: false, keyframe: false },
    ],
    [
      'HEVC (codec id 12) sequence header',
      9,
      [0x1c, 0x00, 0, 0, 0],
      { kind: 'video', codec: 'hvc1', config: true, keyframe: false },
    ],
    [
      'HEVC (codec id 12) keyframe',
      9,
      [0x1c, 0x01, 0, 0, 0],
      { kind: 'video', codec: 'hvc1', config: false, keyframe: true },
    ],
    [
      'E-RTMP hvc1 SequenceStart',
      9,
      [0x90, ...Buffer.from('hvc1')],
      { kind: 'video', codec: 'hvc1', config: true, keyframe: false },
    ],
    [
      'E-RTMP hvc1 CodedFrames keyframe',
      9,
      [0x91, ...Buffer.from('hvc1'), 0, 0, 0],
      { kind: 'video', codec: 'hvc1', config: false, keyframe: true },
    ],
    [
      'E-RTMP av01 CodedFramesX keyframe',
      9,
      [0x93, ...Buffer.from('av01')],
      { kind: 'video', codec: 'av01', config: false, keyframe: true },
    ],
    [
      'E-RTMP inter frame',
      9,
      [0xa1, ...Buffer.from('hvc1'), 0, 0, 0],
      { kind: 'video', codec: 'hvc1', config: false, keyframe: false },
    ],
    [
      'E-RTMP SequenceEnd',
      9,
      [0x92, ...Buffer.from('hvc1')],
      { kind: 'video', codec: 'hvc1', config: false, keyframe: false },
    ],
    [
      'legacy VP6 keyframe (no packet type)',
      9,
      [0x14, 0x00],
      { kind: 'video', codec: 'codec4', config: false, keyframe: true },
    ],
    [
      'AAC sequence header',
      8,
      [0xaf, 0x00, 0x12, 0x10],
      { kind: 'audio', codec: 'mp4a', config: true },
    ],
    ['AAC raw frame', 8, [0xaf, 0x01, 0x00], { kind: 'audio', codec: 'mp4a', config: false }],
    ['MP3 frame', 8, [0x2f, 0xff], { kind: 'audio', codec: '.mp3', config: false }],
    [
      'E-RTMP Opus SequenceStart',
      8,
      [0x90, ...Buffer.from('Opus')],
      { kind: 'audio', codec: 'Opus', config: true },
    ],
    [
      'E-RTMP Opus CodedFrames',
      8,
      [0x91, ...Buffer.from('Opus'), 1],
      { kind: 'audio', codec: 'Opus', config: false },
    ],
    ['script data', 18, [0x02], { kind: 'script' }],
    ['empty video tag', 9, [], { kind: 'other' }],
  ];
  it.each(rows)('%s', (_name, type, bytes, expected) => {
    expect(tagInfo(type, Uint8Array.from(bytes))).toStrictEqual(expected);
  });
});

describe('FlvDemuxer', () => {
  const bytes = stream(
    script(0),
    video(0, avcConfig(1)),
    audio(0, aacConfig(0x90)),
    video(0, avcKey),
    audio(23, aacFrame),
    video(33, avcInter),
    video(0x01_00_00_05, avcInter),
  );

  it('reads the header and every tag, whatever the chunking (whole, 7 bytes, byte by byte)', () => {
    for (const chunk of [bytes.length, 7, 1]) {
      const events = demux(bytes, chunk);
      expect(events[0]).toStrictEqual({ kind: 'header', header: { audio: true, video: true } });
      const tags = events.flatMap((e) => (e.kind === 'tag' ? [e.tag] : []));
      expect(tags.map((t) => [t.type, t.timestamp])).toStrictEqual([
        [18, 0],
        [9, 0],
        [8, 0],
        [9, 0],
        [8, 23],
        [9, 33],
        // TimestampExtended is the high byte of a 32-bit timestamp.
        [9, 0x01_00_00_05],
      ]);
      expect(Buffer.from(tags[3]!.data)).toStrictEqual(Buffer.from(avcKey));
    }
  });

  it('skips damaged bytes to the next tag whose PreviousTagSize matches, and says how much it skipped', () => {
    const good = video(40, avcInter);
    const broken = Buffer.concat([stream(video(0, avcKey)), Buffer.from([9, 0, 0, 1, 0, 0]), good]);
    const events = demux(broken, 5);
    expect(events.filter((e) => e.kind === 'resync')).toStrictEqual([
      { kind: 'resync', skipped: 6 },
    ]);
    expect(events.flatMap((e) => (e.kind === 'tag' ? [e.tag.timestamp] : []))).toStrictEqual([
      0, 40,
    ]);
  });

  it('refuses a stream that is not FLV, as a value', () => {
    const d = new FlvDemuxer();
    expect(d.push(Buffer.from('#EXTM3U\n#EXT-X-VERSION:3\n'))).toStrictEqual([
      { kind: 'invalid', reason: 'not an FLV stream (no FLV header)' },
    ]);
    expect(d.push(stream(video(0, avcKey)))).toStrictEqual([]);
  });

  it('writes tags that read back identically (round trip)', () => {
    const tag = writeTag(9, 0xfe_dc_ba_98, avcKey);
    const events = demux(Buffer.concat([flvHeader({ audio: false, video: true }), tag]));
    expect(events[1]).toMatchObject({ kind: 'tag', tag: { type: 9, timestamp: 0xfe_dc_ba_98 } });
  });
});

/** Runs tags through a splitter and returns the parts as lists of [type, rebased ts] (plus their opening bytes). */
function split(...tags: Uint8Array[]): {
  parts: { start: FlvEvent[]; tags: [number, number][] }[];
  closes: string[];
} {
  const splitter = new FlvSplitter();
  const actions: SplitAction[] = [];
  for (const event of demux(stream(...tags))) actions.push(...splitter.push(event));
  const parts: { start: FlvEvent[]; tags: [number, number][] }[] = [];
  const closes: string[] = [];
  for (const a of actions) {
    if (a.kind === 'open') parts.push({ start: demux(a.bytes), tags: [] });
    else if (a.kind === 'close') closes.push(a.reason);
    else {
      const [e] = new FlvDemuxer()
        .push(Buffer.concat([flvHeader({ audio: true, video: true }), a.bytes]))
        .filter((x) => x.kind === 'tag');
      if (e?.kind === 'tag') parts.at(-1)!.tags.push([e.tag.type, e.tag.timestamp]);
    }
  }
  return { parts, closes };
}

const startTags = (events: FlvEvent[]) =>
  events.flatMap((e) =>
    e.kind === 'tag'
      ? [
          [
            e.tag.type,
            e.tag.timestamp,
            e.tag.info.kind === 'script' || (e.tag.info.kind !== 'other' && e.tag.info.config),
          ],
        ]
      : [],
  );

describe('FlvSplitter', () => {
  it('starts a part at the first keyframe with metadata and both configurations at 0, dropping what came before', () => {
    const { parts, closes } = split(
      script(1000),
      video(1000, avcConfig(1)),
      audio(1000, aacConfig(0x90)),
      audio(1010, aacFrame),
      video(1040, avcInter),
      video(1066, avcKey),
      audio(1060, aacFrame),
      audio(1083, aacFrame),
      video(1100, avcInter),
    );
    expect(closes).toStrictEqual([]);
    expect(parts).toHaveLength(1);
    expect(startTags(parts[0]!.start)).toStrictEqual([
      [18, 0, true],
      [9, 0, true],
      [8, 0, true],
    ]);
    // Audio 6 ms before the keyframe would go negative: dropped.
    expect(parts[0]!.tags).toStrictEqual([
      [9, 0],
      [8, 17],
      [9, 34],
    ]);
  });

  it('does not split on an identical re-send of the configurations', () => {
    const { parts, closes } = split(
      video(0, avcConfig(1)),
      audio(0, aacConfig(0x90)),
      video(0, avcKey),
      script(500),
      video(500, avcConfig(1)),
      audio(500, aacConfig(0x90)),
      video(500, avcKey),
      video(533, avcInter),
    );
    expect(closes).toStrictEqual([]);
    expect(parts).toHaveLength(1);
    expect(parts[0]!.tags).toStrictEqual([
      [9, 0],
      [9, 500],
      [9, 533],
    ]);
  });

  it('starts a new part, rebased to 0 with the new configuration, when the video configuration really changes', () => {
    const { parts, closes } = split(
      video(0, avcConfig(1)),
      audio(0, aacConfig(0x90)),
      video(0, avcKey),
      video(33, avcInter),
      script(5000),
      video(5000, avcConfig(2)),
      audio(5000, aacFrame),
      video(5000, avcKey),
      audio(5010, aacFrame),
    );
    expect(closes).toStrictEqual(['videoConfig']);
    expect(parts).toHaveLength(2);
    expect(parts[1]!.tags).toStrictEqual([
      [9, 0],
      [8, 10],
    ]);
    const config = parts[1]!.start.find((e) => e.kind === 'tag' && e.tag.type === 9);
    expect(config?.kind === 'tag' && Buffer.from(config.tag.data)).toStrictEqual(
      Buffer.from(avcConfig(2)),
    );
  });

  it('splits on a changed audio configuration and on large timestamp jumps either way', () => {
    const base = [video(0, avcConfig(1)), audio(0, aacConfig(0x90)), video(0, avcKey)];
    expect(split(...base, audio(100, aacConfig(0x88)), video(200, avcKey)).closes).toStrictEqual([
      'audioConfig',
    ]);
    const jump = split(...base, video(60_000, avcKey), video(60_033, avcInter), video(100, avcKey));
    expect(jump.closes).toStrictEqual(['timestampJump', 'timestampJump']);
    expect(jump.parts.map((p) => p.tags)).toStrictEqual([
      [[9, 0]],
      [
        [9, 0],
        [9, 33],
      ],
      [[9, 0]],
    ]);
    // Within the bounds (audio lagging video by 500 ms) nothing splits.
    expect(split(...base, video(2000, avcInter), audio(1500, aacFrame)).closes).toStrictEqual([]);
  });

  it('after a split, waits for the next keyframe before writing', () => {
    const { parts } = split(
      video(0, avcConfig(1)),
      video(0, avcKey),
      video(100, avcConfig(2)),
      video(133, avcInter),
      video(166, avcKey),
    );
    expect(parts.map((p) => p.tags)).toStrictEqual([[[9, 0]], [[9, 0]]]);
  });

  it('records an audio-only stream from its first frame after the configuration', () => {
    const splitter = new FlvSplitter();
    const bytes = Buffer.concat([
      flvHeader({ audio: true, video: false }),
      audio(7, aacConfig(0x90)),
      audio(7, aacFrame),
      audio(30, aacFrame),
    ]);
    const actions = demux(bytes).flatMap((e) => splitter.push(e));
    expect(actions.map((a) => (a.kind === 'write' ? a.at : a.kind))).toStrictEqual(['open', 0, 23]);
  });
});
