import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Onair } from '../../src/main.js';
import type { Running } from '../fake-servers/listen.js';
import { waitFor } from './hls-peers.js';
import {
  api,
  decodeErrors,
  frames,
  makeResolutionChangeFlv,
  run,
  startFlvSource,
  startRecordingOnair,
} from './record-peers.js';

const peersInstalled = ['/usr/bin/ffmpeg', '/usr/bin/ffprobe'].every((p) => existsSync(p));

interface Part {
  id: string;
  status: string;
  file: string;
  endReason: string | null;
  startedAt: string;
}

describe.skipIf(!peersInstalled)('recording HTTP-FLV whose resolution changes mid-stream', () => {
  const dir = mkdtempSync(join(tmpdir(), 'onair-record-flv-'));
  let source: Running | undefined;
  let onair: Onair | undefined;

  afterAll(async () => {
    await onair?.stop();
    await source?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes two parts, each decoding cleanly at its own size from 0; ffmpeg -c copy of the same source does not', async () => {
    const joined = await makeResolutionChangeFlv(dir, 5);
    source = await startFlvSource(joined);
    const url = `${source.url}/live.flv`;
    const twin = join(dir, 'twin.ts');
    const twinDone = run(
      'ffmpeg',
      [
        '-hide_banner',
        '-loglevel',
        'quiet',
        '-nostdin',
        '-y',
        '-i',
        url,
        '-c',
        'copy',
        '-f',
        'mpegts',
        twin,
      ],
      30_000,
    );
    onair = await startRecordingOnair(dir, {
      poll: { interval: '1s' },
      policy: { reconnectGrace: '2s' },
      recordings: { minFreeSpace: '1MB' },
      channels: [
        { id: 'studio', platform: 'flv', url, record: { template: '{channel}/{session}.ts' } },
      ],
    });
    const app = onair;
    const parts = async () =>
      ((await api(app, 'GET', '/api/v1/recordings?channel=studio')).json as Part[]).filter(
        (p) => p.status !== 'recording',
      );
    await waitFor(async () => (await parts()).length >= 2, 40_000, 'two finished parts');
    const [first, second] = await parts();
    await twinDone;

    expect(first!.endReason).toBe('videoConfig');
    const sizes = [];
    for (const part of [first!, second!]) {
      const file = join(dir, 'data', 'recordings', part.file);
      expect(file.endsWith('.flv')).toBe(true);
      const video = await frames(file);
      expect(video.length).toBeGreaterThan(75);
      // Each part plays from zero at one size, and decodes without an error.
      expect(video[0]!.pts).toBeLessThan(0.1);
      expect(new Set(video.map((f) => `${f.width}x${f.height}`)).size).toBe(1);
      sizes.push(`${video[0]!.width}x${video[0]!.height}`);
      expect(await decodeErrors(file)).toBe('');
    }
    expect(sizes).toStrictEqual(['640x360', '320x240']);

    // The twin glued both into one file: the second half does not come out at its real size cleanly.
    const twinFrames = await frames(twin);
    const twinErrors = await decodeErrors(twin);
    expect(twinFrames.length).toBeGreaterThan(75);
    expect(twinFrames.some((f) => f.width === 320 && f.height === 240)).toBe(false);
    expect(twinErrors).toContain('error while decoding');
  }, 90_000);
});
