import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Onair } from '../../src/main.js';
import { stopNginx, waitFor } from './hls-peers.js';
import { api, startRecordingOnair } from './record-peers.js';
import { startNginxRtmp, stopChild, writeHls, type RtmpServer } from './rtmp-peers.js';

/**
 * A manual recording (`POST /channels/:id/recording`) of a channel that does not record by
 * itself goes on after a restart of onair, in a new part of the same session; a manual stop
 * (`DELETE`) of a channel that records by itself survives it too (the negative twin: without
 * the kept stop, the restart would record that channel again).
 */

const peersInstalled = ['/usr/bin/ffmpeg', '/usr/sbin/nginx'].every((p) => existsSync(p));

interface Part {
  session: string;
  part: number;
  status: string;
  bytes: number;
}

describe.skipIf(!peersInstalled)('manual recording starts and stops survive a restart', () => {
  const dir = mkdtempSync(join(tmpdir(), 'onair-record-manual-'));
  const data = join(dir, 'onair');
  let server: RtmpServer;
  let writer: ChildProcess | undefined;
  let onair: Onair | undefined;

  const start = async () => {
    onair = await startRecordingOnair(data, {
      poll: { interval: '1s' },
      recordings: { minFreeSpace: '1MB' },
      channels: [
        { id: 'cam', platform: 'hls', url: `${server.plain}cam/index.m3u8` },
        { id: 'dog', platform: 'hls', url: `${server.plain}cam/index.m3u8`, record: true },
      ],
    });
    return onair;
  };
  const parts = async (app: Onair, channel: string) =>
    (await api(app, 'GET', `/api/v1/recordings?channel=${channel}`)).json as Part[];

  beforeAll(async () => {
    mkdirSync(data);
    server = await startNginxRtmp(join(dir, 'nginx'));
    writer = writeHls(server.plainDir, 'cam');
  }, 30_000);

  afterAll(async () => {
    await onair?.stop();
    await stopChild(writer, 'SIGKILL');
    stopNginx(server.pidFile);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a manual start goes on after a restart; a manual stop stays stopped', async () => {
    let app = await start();
    const live = async (id: string) =>
      ((await api(app, 'GET', `/api/v1/channels/${id}`)).json as { status: string }).status ===
      'live';
    await waitFor(async () => (await live('cam')) && (await live('dog')), 60_000, 'live');
    expect(await parts(app, 'cam')).toEqual([]);
    expect((await api(app, 'POST', '/api/v1/channels/cam/recording')).status).toBeLessThan(300);
    await waitFor(
      async () =>
        (await parts(app, 'cam')).some((p) => p.bytes > 0) &&
        (await parts(app, 'dog')).some((p) => p.bytes > 0),
      30_000,
      'recorded bytes on both',
    );
    // `dog` records by itself (record: true): a manual stop holds it for the rest of the session.
    expect((await api(app, 'DELETE', '/api/v1/channels/dog/recording')).status).toBeLessThan(300);
    await waitFor(
      async () => (await parts(app, 'dog')).every((p) => p.status !== 'recording'),
      30_000,
      'the stop',
    );
    await app.stop();

    app = await start();
    await waitFor(
      async () => (await parts(app, 'cam')).some((p) => p.part === 2 && p.bytes > 0),
      60_000,
      'a second part of cam after the restart, without a new request',
    );
    const [first, second] = await parts(app, 'cam');
    expect(second!.session).toBe(first!.session);
    // Negative twin: without the kept stop, `record: true` would have started dog again with cam.
    expect((await parts(app, 'dog')).map((p) => p.part)).toEqual([1]);
  }, 240_000);
});
