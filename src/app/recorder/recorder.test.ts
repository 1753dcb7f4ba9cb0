import { Readable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ManualTime } from '../../../test/fakes/manual-time.js';
import type { RecordingStore, StoredRecording } from '../../ports/store.js';
import type { Upstream } from '../playback/ports.js';
import type { StreamsResult } from '../refresher.js';
import { recordHls, unsupportedEncryption } from './hls-recorder.js';
import { parseMediaPlaylist } from '../../core/recording/media-playlist.js';
import type { CreateResult, RecordingFiles, WriteResult } from './ports.js';
import type { RecorderContext, RunEnd } from './run.js';
import { SessionWriter, type Sidecar } from './session-writer.js';

/** A live origin whose URLs carry a token generation; old generations are refused with 410 once renewed. */
class Origin implements Upstream {
  first = 100;
  count = 4;
  /** Index (in the window) after which a discontinuity tag sits, if any. */
  discontinuityAfter: number | null = null;
  valid = 1;
  readonly fetched: string[] = [];

  text(url: string): Promise<{ ok: true; status: number; url: string; body: string }> {
    const gen = Number(/\/g(\d+)\//.exec(url)?.[1]);
    if (gen < this.valid) return Promise.resolve({ ok: true, status: 410, url, body: '' });
    const lines = ['#EXTM3U', '#EXT-X-TARGETDURATION:2', `#EXT-X-MEDIA-SEQUENCE:${this.first}`];
    for (let i = 0; i < this.count; i++) {
      lines.push('#EXTINF:2.0,', `s${this.first + i}.ts`);
      if (this.discontinuityAfter === i) lines.push('#EXT-X-DISCONTINUITY');
    }
    return Promise.resolve({ ok: true, status: 200, url, body: lines.join('\n') });
  }

  open(
    url: string,
  ): Promise<{ ok: true; status: number; headers: Record<string, string>; body: Readable }> {
    const gen = Number(/\/g(\d+)\//.exec(url)?.[1]);
    const msn = /s(\d+)\.ts/.exec(url)?.[1] ?? '?';
    if (gen < this.valid)
      return Promise.resolve({ ok: true, status: 410, headers: {}, body: Readable.from([]) });
    this.fetched.push(`g${gen}:s${msn}`);
    return Promise.resolve({
      ok: true,
      status: 200,
      headers: {},
      body: Readable.from([Buffer.from(`[${msn}]`)]),
    });
  }

  /** The token runs out: URLs of older generations are refused from now on. */
  expire(): void {
    this.valid++;
  }

  /** The live edge moves on by `n` segments. */
  advance(n: number): void {
    this.first += n;
  }
}

class MemoryFiles implements RecordingFiles {
  readonly files = new Map<string, string>();
  /** Bytes the disk takes before it is full. */
  capacity = Number.POSITIVE_INFINITY;
  private used = 0;

  create(path: string): Promise<CreateResult> {
    if (this.files.has(path))
      return Promise.resolve({ ok: false, reason: 'exists', error: 'exists' });
    this.files.set(path, '');
    return Promise.resolve({
      ok: true,
      file: {
        write: (bytes: Uint8Array): Promise<WriteResult> => {
          if (this.used + bytes.length > this.capacity)
            return Promise.resolve({ ok: false, reason: 'diskFull', error: 'ENOSPC' });
          this.used += bytes.length;
          this.files.set(path, (this.files.get(path) ?? '') + Buffer.from(bytes).toString());
          return Promise.resolve({ ok: true });
        },
        close: () => Promise.resolve(),
      },
    });
  }
  writeText(path: string, text: string): Promise<WriteResult> {
    this.files.set(path, text);
    return Promise.resolve({ ok: true });
  }
  readText(path: string): Promise<string | undefined> {
    return Promise.resolve(this.files.get(path));
  }
  stat(path: string): Promise<{ bytes: number; modifiedAt: number } | undefined> {
    const f = this.files.get(path);
    return Promise.resolve(f === undefined ? undefined : { bytes: f.length, modifiedAt: 0 });
  }
  remove(path: string): Promise<void> {
    this.files.delete(path);
    return Promise.resolve();
  }
  freeBytes(): Promise<number | null> {
    return Promise.resolve(null);
  }
  absolute(path: string): string | null {
    return `/rec/${path}`;
  }
}

class MemoryRecordings implements RecordingStore {
  readonly rows = new Map<string, StoredRecording>();
  insertRecording(r: StoredRecording): Promise<boolean> {
    if (this.rows.has(r.id)) return Promise.resolve(false);
    this.rows.set(r.id, r);
    return Promise.resolve(true);
  }
  updateRecording(id: string, change: Partial<StoredRecording>): Promise<void> {
    const row = this.rows.get(id);
    if (row) this.rows.set(id, { ...row, ...change });
    return Promise.resolve();
  }
  getRecording(id: string): Promise<StoredRecording | undefined> {
    return Promise.resolve(this.rows.get(id));
  }
  listRecordings(q: { session?: string } = {}): Promise<StoredRecording[]> {
    return Promise.resolve(
      [...this.rows.values()].filter((r) => q.session === undefined || r.session === q.session),
    );
  }
  deleteRecording(id: string): Promise<boolean> {
    return Promise.resolve(this.rows.delete(id));
  }
}

function setup() {
  const time = new ManualTime();
  const origin = new Origin();
  const files = new MemoryFiles();
  const store = new MemoryRecordings();
  let generation = 1;
  const streams = (): StreamsResult => ({
    ok: true,
    streams: {
      generation,
      sources: [{ url: `http://origin/g${generation}/index.m3u8`, quality: 'best' }],
      master: null,
      expiresAt: null,
      resolvedAt: time.now(),
    },
  });
  const refusals: number[] = [];
  const writer = new SessionWriter({
    store,
    files,
    clock: time,
    logger: pino({ level: 'silent' }),
    remuxer: null,
    channel: { id: 'cam', platform: 'hls' },
    session: 'cam-s',
    template: '{channel}/{session}.ts',
    minFreeBytes: 0,
    title: () => 'Live',
    onPartFinished: () => undefined,
  });
  const abort = new AbortController();
  const ctx: RecorderContext = {
    channelId: 'cam',
    quality: 'best',
    upstream: origin,
    streams: {
      current: () => Promise.resolve(streams()),
      refused: (seen) => {
        refusals.push(seen);
        // The refresher resolves again only when no newer generation exists (single flight).
        if (seen >= generation) generation = origin.valid;
        return Promise.resolve(streams());
      },
    },
    writer,
    clock: time,
    timers: time,
    logger: pino({ level: 'silent' }),
    signal: abort.signal,
    stallTargets: 4,
    // recordings.stallAfter: the floor of an HLS stall (4 target durations of 2 s are less).
    stallMs: 10_000,
    segmentRetries: 2,
  };
  return { time, origin, files, store, writer, abort, ctx, refusals };
}

const contents = (files: MemoryFiles) =>
  [...files.files].filter(([p]) => p.endsWith('.ts')).map(([, c]) => c);
const sidecars = (files: MemoryFiles) =>
  [...files.files].filter(([p]) => p.endsWith('.json')).map(([, c]) => JSON.parse(c) as Sidecar);

async function finish(t: ReturnType<typeof setup>, run: Promise<RunEnd>): Promise<RunEnd> {
  t.abort.abort();
  const end = await run;
  await t.writer.close('stopped');
  return end;
}

describe('recordHls', () => {
  it('writes each segment once, in order, through a token expiry (410 → fresh URLs → same MSN)', async () => {
    const t = setup();
    const run = recordHls(t.ctx, null);
    await t.time.advance(0);
    for (let i = 0; i < 6; i++) {
      t.origin.advance(1);
      if (i === 2) t.origin.expire();
      await t.time.advance(2_000);
    }
    expect(await finish(t, run)).toBe('stopped');
    expect(contents(t.files)).toStrictEqual(['[100][101][102][103][104][105][106][107][108][109]']);
    expect(t.refusals.length).toBeGreaterThan(0);
    expect(t.origin.fetched.filter((f) => f.startsWith('g2')).length).toBeGreaterThan(0);
    const [sidecar] = sidecars(t.files);
    expect(sidecar).toMatchObject({
      gaps: [],
      segments: 10,
      status: 'done',
      endReason: 'stopped',
      titles: [{ title: 'Live', offsetMs: 0 }],
    });
  });

  it('records the segments that left the window unseen as a gap, and resumes after the last one written', async () => {
    const t = setup();
    const run = recordHls(t.ctx, { lastMsn: 95, lastDsn: 0, targetDuration: 2 });
    await t.time.advance(0);
    t.origin.advance(10);
    await t.time.advance(2_000);
    await finish(t, run);
    expect(contents(t.files)).toStrictEqual(['[100][101][102][103][110][111][112][113]']);
    expect(sidecars(t.files)[0]!.gaps).toMatchObject([
      { reason: 'missed', fromMsn: 96, toMsn: 99 },
      { reason: 'missed', fromMsn: 104, toMsn: 109 },
    ]);
    expect(t.writer.resume).toStrictEqual({ lastMsn: 113, lastDsn: 0, targetDuration: 2 });
  });

  it('starts a new part at a discontinuity', async () => {
    const t = setup();
    t.origin.discontinuityAfter = 1;
    const run = recordHls(t.ctx, null);
    await t.time.advance(0);
    await finish(t, run);
    expect(contents(t.files).sort()).toStrictEqual(['[100][101]', '[102][103]']);
    expect([...t.store.rows.values()].map((r) => [r.part, r.endReason])).toStrictEqual([
      [1, 'discontinuity'],
      [2, 'stopped'],
    ]);
  });

  it('stops cleanly when the disk is full: whole segments only, the part finished', async () => {
    const t = setup();
    t.files.capacity = 3 * '[100]'.length;
    const run = recordHls(t.ctx, null);
    await t.time.advance(0);
    expect(await run).toBe('diskFull');
    await t.writer.close('diskFull');
    expect(contents(t.files)).toStrictEqual(['[100][101][102]']);
    expect([...t.store.rows.values()].map((r) => [r.status, r.endReason, r.bytes])).toStrictEqual([
      ['done', 'diskFull', 15],
    ]);
  });

  it('declares a stall only after a re-resolve did not help', async () => {
    const t = setup();
    const run = recordHls(t.ctx, null);
    await t.time.advance(0);
    // Nothing new for 4 target durations (the 10-s floor): fresh URLs first, then a stall.
    await t.time.advance(11_000);
    expect(t.refusals).toHaveLength(1);
    await t.time.advance(11_000);
    expect(await run).toBe('stalled');
  });
});

describe('encryption a recorder can and cannot handle', () => {
  const first = (key: string) => {
    const parsed = parseMediaPlaylist(
      ['#EXTM3U', '#EXT-X-TARGETDURATION:2', key, '#EXTINF:2,', 'a.ts'].join('\n'),
    );
    if (!parsed.ok) throw new Error(parsed.error);
    return parsed.playlist.segments[0]!;
  };
  it.each([
    ['clear', '#EXT-X-KEY:METHOD=NONE', null],
    ['AES-128', '#EXT-X-KEY:METHOD=AES-128,URI="k.bin"', null],
    ['SAMPLE-AES', '#EXT-X-KEY:METHOD=SAMPLE-AES,URI="k.bin"', /SAMPLE-AES/],
    [
      'FairPlay DRM',
      '#EXT-X-KEY:METHOD=SAMPLE-AES,URI="skd://key",KEYFORMAT="com.apple.streamingkeydelivery"',
      /DRM.*skd:\/\//,
    ],
    ['a key format other than identity', '#EXT-X-KEY:METHOD=AES-128,URI="k",KEYFORMAT="x"', /DRM/],
    ['AES-128 without a key URI', '#EXT-X-KEY:METHOD=AES-128', /without a URI/],
  ])('%s', (_name, key, reason) => {
    const verdict = unsupportedEncryption(first(key));
    if (reason === null) expect(verdict).toBeNull();
    else expect(verdict).toMatch(reason);
  });
});
