import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import type { Remuxer, RemuxResult } from '../../app/recorder/ports.js';

/** The ffmpeg on PATH, or null. */
export function findFfmpeg(path = process.env['PATH'] ?? ''): string | null {
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, 'ffmpeg');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

function run(binary: string, args: readonly string[], timeoutMs: number): Promise<RemuxResult> {
  return new Promise((resolve) => {
    execFile(
      binary,
      args,
      { timeout: timeoutMs, maxBuffer: 1_048_576 },
      (error, _stdout, stderr) => {
        if (error)
          resolve({ ok: false, error: (stderr.trim().split('\n').pop() ?? '') || error.message });
        else resolve({ ok: true });
      },
    );
  });
}

/** Remux with `ffmpeg -c copy -movflags +faststart` (no re-encoding) and a JPEG thumbnail. */
export class FfmpegRemuxer implements Remuxer {
  private readonly binary: string;
  private readonly timeoutMs: number;

  constructor(binary: string, timeoutMs = 30 * 60_000) {
    this.binary = binary;
    this.timeoutMs = timeoutMs;
  }

  async remux(input: string, output: string): Promise<RemuxResult> {
    // Written under a temporary name first: a half-written MP4 must never look finished.
    const temp = `${output}.part.mp4`;
    const result = await run(
      this.binary,
      [
        '-hide_banner',
        '-loglevel',
        'error',
        '-nostdin',
        '-y',
        '-i',
        input,
        '-map',
        '0:v?',
        '-map',
        '0:a?',
        '-c',
        'copy',
        '-movflags',
        '+faststart',
        temp,
      ],
      this.timeoutMs,
    );
    if (!result.ok) {
      await rm(temp, { force: true });
      return result;
    }
    await rename(temp, output);
    return result;
  }

  thumbnail(input: string, output: string): Promise<RemuxResult> {
    return run(
      this.binary,
      [
        '-hide_banner',
        '-loglevel',
        'error',
        '-nostdin',
        '-y',
        '-ss',
        '1',
        '-i',
        input,
        '-frames:v',
        '1',
        '-vf',
        'scale=480:-2',
        '-q:v',
        '4',
        output,
      ],
      60_000,
    );
  }
}
