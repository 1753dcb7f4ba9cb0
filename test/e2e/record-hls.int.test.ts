import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Onair } from '../../src/main.js';
import { signLive, startLiveOrigin, stopNginx, waitFor } from './hls-peers.js';
import {
  api,
  decodeErrors,
  duration,
  frames,
  largestStep,
  startRecordingOnair,
  writeSignPlugin,
} from './record-peers.js';

const LIFETIME_S = 15;
const RECORD_MS = 60_000;
const peersInstalled = [
  '/usr/bin/ffmpeg',
  '/usr/bin/ffprobe',
  '/usr/sbin/nginx',
  '/usr/bin/streamlink',
].every((p) => existsSync(p));

interface Part {
  id: string;
  status: string;
  bytes: number;
  file: string;
  endReason: string | null;
}

/** Runs a baseline recorder until it exits or `ms` pass (then SIGINT, then SIGKILL), by its PID. */
function baseline(binary: string, args: readonly string[], ms: number): Promise<void> {
  return new Promise((resolve) => {
    const child: ChildProcess = spawn(binary, args, { stdio: 'ignore' });
    const timer = setTimeout(() => {
      if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGINT');
      setTimeout(() => {
        if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
      }, 3_000).unref();
    }, ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

describe.skipIf(!peersInstalled)(
  'recording live HLS behind nginx with tokens expiring every 15 s',
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'onair-record-hls-'));
    let ffmpeg: ChildProcess | undefined;
    let nginxPid: string | undefined;
    let onair: Onair | undefined;
    let origin = '';

    beforeAll(async () => {
      ({ ffmpeg, nginxPidFile: nginxPid, origin } = await startLiveOrigin(dir));
    }, 40_000);

    afterAll(async () => {
      await onair?.stop();
      if (ffmpeg?.pid !== undefined && ffmpeg.exitCode === null)
        process.kill(ffmpeg.pid, 'SIGKILL');
      if (nginxPid) stopNginx(nginxPid);
      rmSync(dir, { recursive: true, force: true });
    });

    it('onair records 60 s gaplessly across four token expiries; ffmpeg -c copy and streamlink stop at the first', async () => {
      const plugin = writeSignPlugin(dir, origin, LIFETIME_S);
      onair = await startRecordingOnair(dir, {
        poll: { interval: '2s' },
        extractors: [{ use: 'plugin', module: plugin }],
        recordings: { minFreeSpace: '1MB' },
        // Liveness from the token-free path; playable URLs from the signing extractor.
        channels: [
          { id: 'cam', platform: 'hls', url: `${origin}/plain/live/index.m3u8`, record: true },
        ],
      });
      const app = onair;
      await waitFor(
        async () =>
          ((await api(app, 'GET', '/api/v1/recordings?channel=cam')).json as Part[]).some(
            (p) => p.bytes > 0,
          ),
        20_000,
        'the first recorded bytes',
      );

      // The negative twins, on the same source with the same 15-s tokens, over the same minute.
      const twinFfmpeg = join(dir, 'twin-ffmpeg.ts');
      const twinStreamlink = join(dir, 'twin-streamlink.ts');
      const twins = Promise.all([
        baseline(
          'ffmpeg',
          [
            '-hide_banner',
            '-loglevel',
            'quiet',
            '-nostdin',
            '-y',
            '-i',
            signLive(origin, LIFETIME_S).url,
            '-c',
            'copy',
            '-t',
            '60',
            '-f',
            'mpegts',
            twinFfmpeg,
          ],
          RECORD_MS + 5_000,
        ),
        baseline(
          'streamlink',
          [
            '--loglevel',
            'error',
            '--hls-duration',
            '60',
            '-f',
            '-o',
            twinStreamlink,
            `hls://${signLive(origin, LIFETIME_S).url}`,
            'best',
          ],
          RECORD_MS + 5_000,
        ),
      ]);
      await new Promise((r) => setTimeout(r, RECORD_MS));
      const active = (await api(app, 'GET', '/api/v1/streams/active')).json as {
        channel: string;
        refreshCount: number;
      }[];
      const listed = (await api(app, 'GET', '/api/v1/recordings?channel=cam')).json as Part[];
      await app.stop();
      onair = undefined;
      await twins;

      // One part, no gap, no split: the token expiries cost nothing.
      expect(listed.map((p) => p.status)).toStrictEqual(['recording']);
      expect(JSON.stringify(active)).toMatch(/"refreshCount":[3-9]/);
      const file = join(dir, 'data', 'recordings', listed[0]!.file);
      const sidecar = JSON.parse(readFileSync(file.replace(/\.ts$/, '.json'), 'utf8')) as {
        gaps: unknown[];
        status: string;
        endReason: string;
      };
      expect(sidecar).toMatchObject({ gaps: [], status: 'done', endReason: 'shutdown' });
      const recorded = await duration(file);
      console.log(
        `onair recorded ${recorded.toFixed(1)} s in one part; refreshes: ${JSON.stringify(active.map((a) => a.refreshCount))}`,
      );
      expect(recorded).toBeGreaterThanOrEqual(55);
      const video = await frames(file);
      expect(largestStep(video.map((f) => f.pts))).toBeLessThan(0.1);
      expect(await decodeErrors(file)).toBe('');

      // The twins: whatever they wrote ends at the first expiry (15 s plus the playlist window), far short of 55 s.
      for (const twin of [twinFfmpeg, twinStreamlink]) {
        const seconds = existsSync(twin) ? await duration(twin) : 0;
        // They did record (the source and the URL were fine), until the token ran out.
        console.log(`${twin.split('/').pop() ?? twin}: ${seconds.toFixed(1)} s`);
        expect(seconds, twin).toBeGreaterThan(5);
        expect(seconds, twin).toBeLessThan(30);
      }
    }, 150_000);
  },
);
