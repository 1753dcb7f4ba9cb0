import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Onair } from '../../src/main.js';
import { stopNginx, waitFor } from './hls-peers.js';
import { api, decodeErrors, duration, run, startRecordingOnair } from './record-peers.js';
import {
  exited,
  pushRtmp,
  RTMP_MODULE,
  startNginxRtmp,
  stopChild,
  writeHls,
  type RtmpServer,
} from './rtmp-peers.js';

/**
 * The servers self-hosters run, killed the way encoders die (TEST-PEERS.md, "Crashes"): nginx
 * with the RTMP module fed by ffmpeg, a plain ffmpeg HLS writer, and the same writer read through
 * streamlink. onair (A) must announce the crash as `offline` within the reconnect grace plus two
 * poll intervals, and a restart as a new `live`. Its negative twin (B) runs the same channels
 * with `poll.staleAfter: 1h` — the old behaviour — and stays live through every crash.
 */

const peersInstalled = [
  '/usr/bin/ffmpeg',
  '/usr/bin/ffprobe',
  '/usr/sbin/nginx',
  '/usr/bin/streamlink',
  RTMP_MODULE,
].every((p) => existsSync(p));

const INTERVAL_MS = 1_000;
const STREAMLINK_INTERVAL_MS = 2_000;
/** Above the stall threshold of 1-2 s segments (3 target durations), so the grace bounds the notice. */
const GRACE_MS = 8_000;
/** The poll loop's ±10 % jitter on each of the two intervals. */
const JITTER = 1.1;
/**
 * What a probe and the store commit take on a loaded 2-core machine: the stall is dated to the
 * first probe that saw the frozen playlist, the announcement made by the first probe after the
 * grace, so both land up to one (jittered) interval plus their own latency late.
 */
const LATENCY_MS = 1_500;
const SESSION_S = 60;

interface EventView {
  event: 'live' | 'title' | 'offline';
  at: string;
  suppressed?: string;
}

async function events(app: Onair, channel: string): Promise<EventView[]> {
  return (await api(app, 'GET', `/api/v1/events?channel=${channel}&limit=200`)).json as EventView[];
}

/** Announced (not suppressed) events of a kind, oldest first. */
async function announced(app: Onair, channel: string, kind: EventView['event']) {
  return (await events(app, channel))
    .filter((e) => e.event === kind && e.suppressed === undefined)
    .sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

async function status(app: Onair, channel: string): Promise<string> {
  return ((await api(app, 'GET', `/api/v1/channels/${channel}`)).json as { status: string }).status;
}

async function waitAnnounced(
  app: Onair,
  channel: string,
  kind: EventView['event'],
  count: number,
  timeoutMs = 60_000,
): Promise<EventView[]> {
  await waitFor(
    async () => (await announced(app, channel, kind)).length >= count,
    timeoutMs,
    `${count} announced ${kind} on ${channel}`,
  );
  return announced(app, channel, kind);
}

describe.skipIf(!peersInstalled)('real live servers: crashes, restarts and recordings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'onair-live-servers-'));
  let server: RtmpServer;
  let a: Onair | undefined;
  let b: Onair | undefined;
  const children = new Set<ChildProcess>();
  /** How long one `streamlink --json` takes here: its probes are that much slower. */
  let streamlinkMs = 0;

  const spawned = (child: ChildProcess) => {
    children.add(child);
    return child;
  };

  beforeAll(async () => {
    server = await startNginxRtmp(join(dir, 'nginx'));
    const channels = (record: boolean) => [
      { id: 'rtmp', platform: 'hls', url: server.hls('cam'), ...(record ? { record: true } : {}) },
      { id: 'plain', platform: 'hls', url: `${server.plain}cam/index.m3u8` },
      {
        id: 'sl',
        platform: 'streamlink',
        url: `hls://${server.plain}cam/index.m3u8`,
        interval: `${STREAMLINK_INTERVAL_MS}ms`,
      },
    ];
    const common = {
      policy: { reconnectGrace: `${GRACE_MS}ms` },
      recordings: { minFreeSpace: '1MB', stallAfter: '4s' },
    };
    mkdirSync(join(dir, 'a'));
    mkdirSync(join(dir, 'b'));
    // Started before any stream exists, so the go-lives are announced (not first sightings).
    a = await startRecordingOnair(join(dir, 'a'), {
      ...common,
      poll: { interval: `${INTERVAL_MS}ms`, staleAfter: '2s' },
      channels: channels(true),
    });
    b = await startRecordingOnair(join(dir, 'b'), {
      ...common,
      poll: { interval: `${INTERVAL_MS}ms`, staleAfter: '1h' },
      channels: channels(false),
    });
    const both = [a, b];
    await waitFor(
      async () => {
        for (const app of both)
          for (const id of ['rtmp', 'plain', 'sl'])
            if ((await status(app, id)) !== 'offline') return false;
        return true;
      },
      60_000,
      'both onairs to see every channel offline',
    );
  }, 90_000);

  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    for (const child of children) await stopChild(child, 'SIGKILL');
    stopNginx(server.pidFile);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a plain ffmpeg HLS writer and streamlink on it: SIGKILL is offline in time, a restart a new live; the twin stays live', async () => {
    const app = a!;
    const twin = b!;
    spawned(writeHls(server.plainDir, 'cam'));
    for (const id of ['plain', 'sl']) await waitAnnounced(app, id, 'live', 1);
    await waitFor(
      async () => (await status(twin, 'plain')) === 'live' && (await status(twin, 'sl')) === 'live',
      60_000,
      'the twin to see the streams live',
    );
    const started = Date.now();
    const sl = await run('streamlink', ['--json', `hls://${server.plain}cam/index.m3u8`]);
    streamlinkMs = Date.now() - started;
    expect(sl.code).toBe(0);

    const writer = [...children].at(-1);
    const killedAt = Date.now();
    await stopChild(writer, 'SIGKILL');
    const [plainOffline] = await waitAnnounced(app, 'plain', 'offline', 1);
    const [slOffline] = await waitAnnounced(app, 'sl', 'offline', 1);
    const plainMs = Date.parse(plainOffline!.at) - killedAt;
    const slMs = Date.parse(slOffline!.at) - killedAt;
    console.log(
      `plain HLS writer: offline ${plainMs} ms after SIGKILL; streamlink: ${slMs} ms (one streamlink run: ${streamlinkMs} ms)`,
    );
    expect(plainMs).toBeLessThanOrEqual(GRACE_MS + 2 * INTERVAL_MS * JITTER + LATENCY_MS);
    // streamlink's probes take as long as streamlink runs, on top of their interval.
    expect(slMs).toBeLessThanOrEqual(
      GRACE_MS + 2 * (STREAMLINK_INTERVAL_MS * JITTER + streamlinkMs) + LATENCY_MS,
    );
    // Negative twin: without stall detection the frozen playlist is live for ever.
    expect(await status(twin, 'plain')).toBe('live');
    expect(await status(twin, 'sl')).toBe('live');
    expect(await announced(twin, 'plain', 'offline')).toEqual([]);

    spawned(writeHls(server.plainDir, 'cam'));
    await waitAnnounced(app, 'plain', 'live', 2);
    await waitAnnounced(app, 'sl', 'live', 2);
    // The twin never saw the session end, so it has nothing new to announce.
    expect(await announced(twin, 'plain', 'live')).toHaveLength(1);
    expect(await announced(twin, 'sl', 'live')).toHaveLength(1);
    for (const child of children) await stopChild(child, 'SIGKILL');
  }, 240_000);

  it(`nginx-rtmp: a ${SESSION_S}-s session records as one part of ${SESSION_S} ± 2 s; SIGKILL is offline in time; a restart a new live`, async () => {
    const app = a!;
    const twin = b!;
    // The session: ffmpeg publishes for SESSION_S seconds, then stops (nginx-rtmp's playlist freezes).
    const session = spawned(pushRtmp(server.publish('cam'), SESSION_S));
    const [firstLive] = await waitAnnounced(app, 'rtmp', 'live', 1);
    await exited(session);
    const [endOffline] = await waitAnnounced(app, 'rtmp', 'offline', 1, 90_000);
    expect(Date.parse(endOffline!.at)).toBeGreaterThan(Date.parse(firstLive!.at));
    await waitFor(
      async () =>
        ((await api(app, 'GET', '/api/v1/recordings?channel=rtmp')).json as { status: string }[])
          .length > 0 &&
        (
          (await api(app, 'GET', '/api/v1/recordings?channel=rtmp')).json as { status: string }[]
        ).every((p) => p.status !== 'recording'),
      60_000,
      'the recording to finish',
    );
    const parts = (await api(app, 'GET', '/api/v1/recordings?channel=rtmp')).json as {
      id: string;
      file: string;
      status: string;
      mediaSeconds: number | null;
    }[];
    const recordings = join(dir, 'a', 'data', 'recordings');
    const files = readdirSync(recordings, { recursive: true, encoding: 'utf8' }).filter((f) =>
      /\.(ts|mp4)$/.test(f),
    );
    expect(parts).toHaveLength(1);
    expect(files).toHaveLength(1);
    const file = join(recordings, files[0]!);
    const seconds = await duration(file);
    console.log(`nginx-rtmp ${SESSION_S}-s session recorded as one part of ${seconds} s`);
    expect(Math.abs(seconds - SESSION_S)).toBeLessThanOrEqual(2);
    // The API reports the media duration (the segments' EXTINFs), not wall-clock time.
    expect(Math.abs((parts[0]?.mediaSeconds ?? 0) - SESSION_S)).toBeLessThanOrEqual(2);
    expect(await decodeErrors(file)).toBe('');
    // Negative twin: the twin never noticed the end of the session.
    expect(await status(twin, 'rtmp')).toBe('live');

    // A new publish after the announced offline is a new live.
    spawned(pushRtmp(server.publish('cam')));
    await waitAnnounced(app, 'rtmp', 'live', 2);
    const pusher = [...children].at(-1);
    const killedAt = Date.now();
    await stopChild(pusher, 'SIGKILL');
    const offline = await waitAnnounced(app, 'rtmp', 'offline', 2);
    const rtmpMs = Date.parse(offline[1]!.at) - killedAt;
    console.log(`nginx-rtmp: offline ${rtmpMs} ms after SIGKILL of the publisher`);
    expect(rtmpMs).toBeLessThanOrEqual(GRACE_MS + 2 * INTERVAL_MS * JITTER + LATENCY_MS);
    spawned(pushRtmp(server.publish('cam')));
    await waitAnnounced(app, 'rtmp', 'live', 3);
    expect(await status(twin, 'rtmp')).toBe('live');
    expect(await announced(twin, 'rtmp', 'offline')).toEqual([]);
    expect(await announced(twin, 'rtmp', 'live')).toHaveLength(1);
  }, 300_000);
});
