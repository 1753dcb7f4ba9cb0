import { isAbsolute, relative, resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FsRecordingFiles } from '../../src/adapters/recorder/fs-files.js';
import { FlvDemuxer, flvHeader, writeTag } from '../../src/core/flv/tags.js';
import {
  alternativePath,
  recordingPath,
  templateProblem,
} from '../../src/core/recording/naming.js';
import { recordFigures } from './serve-process.js';

const ROOT = '/srv/recordings';
const inside = (path: string) => {
  const rel = relative(ROOT, resolve(ROOT, path));
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
};
const hostile = fc.oneof(
  fc.constantFrom(
    '..',
    '../..',
    '../../etc/passwd',
    '/etc/passwd',
    '\\..\\..\\win',
    'a/../../b',
    '.',
    '...',
    ' .. ',
    '\u0000',
    'C:\\x',
    '~',
    '%2e%2e%2f',
    '..\u2215..',
    'a'.repeat(400),
    '💥'.repeat(100),
    '\n..\n',
  ),
  fc.string({ maxLength: 60 }),
  fc
    .array(fc.constantFrom('..', '/', '\\', '.', 'x', '\u0000', ' '), { maxLength: 12 })
    .map((parts) => parts.join('')),
);
const template = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        '{channel}',
        '{platform}',
        '{date}',
        '{time}',
        '{title}',
        '{session}',
        '{part}',
        '/',
        '../',
        '..',
        '.',
        '\\',
        '-',
        '.ts',
      ),
      fc.string({ maxLength: 6 }),
    ),
    { minLength: 1, maxLength: 10 },
  )
  .map((parts) => parts.join(''))
  .filter((t) => templateProblem(t) === null);

/** Template and file-name injection, and the FLV demuxer on hostile bytes (recorder, pure parts). */
describe('recorder: hostile names and bytes', () => {
  it('never builds a recording path outside the recordings directory', () => {
    const files = new FsRecordingFiles(ROOT);
    let tried = 0;
    fc.assert(
      fc.property(
        template,
        hostile,
        hostile,
        hostile,
        hostile,
        fc.integer({ min: 1, max: 1_000 }),
        fc.integer({ min: 0, max: 4_102_444_800_000 }),
        (t, channel, platform, title, session, part, startedAt) => {
          tried++;
          const path = recordingPath(
            t,
            { channel, platform, title, session, part, startedAt },
            'ts',
          );
          expect(path.includes('\0')).toBe(false);
          expect(path.split('/')).not.toContain('..');
          expect(inside(path), path).toBe(true);
          expect(files.absolute(path), path).not.toBeNull();
          expect(inside(alternativePath(path, part)), path).toBe(true);
        },
      ),
      { numRuns: 3_000 },
    );
    // The last line of defence refuses what a hand-made path could hold.
    let refused = 0;
    fc.assert(
      fc.property(hostile, (path) => {
        const full = files.absolute(path);
        if (full === null) refused++;
        else expect(inside(relative(ROOT, full)), path).toBe(true);
      }),
      { numRuns: 2_000 },
    );
    recordFigures('fuzz-recorder-names', { tried, handMadePaths: 2_000, refused });
  });

  it('demuxes any byte stream, cut anywhere, without throwing or buffering beyond one tag', () => {
    const tag = fc.record({
      type: fc.constantFrom(8, 9, 18, 0, 255),
      ts: fc.integer({ min: 0, max: 0xffffffff }),
      data: fc.uint8Array({ maxLength: 64 }),
    });
    const stream = fc.oneof(
      fc.uint8Array({ maxLength: 2_000 }),
      fc
        .tuple(fc.array(tag, { maxLength: 20 }), fc.uint8Array({ maxLength: 40 }), fc.nat(2_000))
        .map(([tags, junk, at]) => {
          const valid = Buffer.concat([
            flvHeader({ audio: true, video: true }),
            ...tags.map((t) => writeTag(t.type, t.ts, t.data)),
          ]);
          // Junk spliced in somewhere: the demuxer must resync or stop, never throw.
          const cut = Math.min(at, valid.length);
          return Buffer.concat([valid.subarray(0, cut), junk, valid.subarray(cut)]);
        }),
    );
    let tried = 0;
    let bytes = 0;
    fc.assert(
      fc.property(
        stream,
        fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 20 }),
        (data, cuts) => {
          tried++;
          bytes += data.length;
          const demuxer = new FlvDemuxer();
          let at = 0;
          let i = 0;
          while (at < data.length) {
            const size = cuts[i++ % cuts.length]!;
            demuxer.push(data.subarray(at, at + size));
            at += size;
            // A tag is at most 11 + 0xFFFFFF + 4 bytes: nothing more is ever held back.
            expect(demuxer.buffered).toBeLessThanOrEqual(11 + 0xffffff + 4 + 300);
          }
        },
      ),
      { numRuns: 3_000 },
    );
    recordFigures('fuzz-flv', { tried, bytes });
  });
});
