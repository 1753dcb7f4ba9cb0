import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Running } from '../fake-servers/listen.js';
import type { Onair } from '../../src/main.js';
import { stopNginx, waitFor } from './hls-peers.js';
import { api, startRecordingOnair } from './record-peers.js';
import {
  pushRtmp,
  RTMP_MODULE,
  startFlvRelay,
  startNginxRtmp,
  stopChild,
  type RtmpServer,
} from './rtmp-peers.js';

/**
 * An HTTP-FLV relay of nginx-rtmp whose publisher is SIGKILLed: the relay still answers 200 but
 * delivers no tag. onair (A) announces `offline` (stalled) and a new `live` on restart; the twin
 * (B, `poll.staleAfter: 1h`) only ever sees failed probes, never offline.
 */

const peersInstalled = ['/usr/bin/ffmpeg', '/usr/sbin/nginx', RTMP_MODULE].every((p) =>
  existsSync(p),
);
const INTERVAL_MS = 1_000;
const TIMEOUT_MS = 4_000;
const GRACE_MS = 5_000;

interface EventView {
  event: string;
  at: string;
  suppressed?: string;
}

describe.skipIf(!peersInstalled)('an HTTP-FLV relay whose publisher died', () => {
  const dir = mkdtempSync(join(tmpdir(), 'onair-flv-relay-'));
  let server: RtmpServer;
  let relay: Running & { url: string };
  let a: Onair | undefined;
  let b: Onair | undefined;
  const pushers: ChildProcess[] = [];

  const announced = async (app: Onair, kind: string) =>
    ((await api(app, 'GET', '/api/v1/events?channel=relay&limit=100')).json as EventView[])
      .filter((e) => e.event === kind && e.suppressed === undefined)
      .sort((x, y) => Date.parse(x.at) - Date.parse(y.at));
  const status = async (app: Onair) =>
    ((await api(app, 'GET', '/api/v1/channels/relay')).json as { status: string }).status;

  beforeAll(async () => {
    server = await startNginxRtmp(join(dir, 'nginx'));
    relay = await startFlvRelay(server.publish('cam'));
    pushers.push(pushRtmp(server.publish('cam')));
    for (const name of ['a', 'b']) mkdirSync(join(dir, name));
    const config = (staleAfter: string) => ({
      poll: { interval: `${INTERVAL_MS}ms`, timeout: `${TIMEOUT_MS}ms`, staleAfter },
      policy: { reconnectGrace: `${GRACE_MS}ms`, unreachableAfter: 1_000 },
      channels: [{ id: 'relay', platform: 'flv', url: relay.url }],
    });
    a = await startRecordingOnair(join(dir, 'a'), config('3s'));
    b = await startRecordingOnair(join(dir, 'b'), config('1h'));
  }, 30_000);

  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    for (const p of pushers) await stopChild(p, 'SIGKILL');
    await relay.close();
    stopNginx(server.pidFile);
    rmSync(dir, { recursive: true, force: true });
  });

  it('SIGKILL of the publisher is offline (stalled); a new publish a new live; the twin never says offline', async () => {
    const app = a!;
    const twin = b!;
    await waitFor(
      async () => (await status(app)) === 'live' && (await status(twin)) === 'live',
      60_000,
      'both to see the relay live',
    );
    const killedAt = Date.now();
    await stopChild(pushers[0], 'SIGKILL');
    await waitFor(async () => (await announced(app, 'offline')).length === 1, 60_000, 'offline');
    const offlineMs = Date.parse((await announced(app, 'offline'))[0]!.at) - killedAt;
    console.log(`HTTP-FLV relay: offline ${offlineMs} ms after SIGKILL of the publisher`);
    // The stall is dated to the first probe without a tag: one interval plus one probe timeout late.
    expect(offlineMs).toBeLessThanOrEqual(GRACE_MS + 2 * (INTERVAL_MS * 1.1 + TIMEOUT_MS) + 500);
    // Negative twin: answering without tags is only a failed probe for it.
    expect(await announced(twin, 'offline')).toEqual([]);
    expect(await status(twin)).toBe('live');

    pushers.push(pushRtmp(server.publish('cam')));
    await waitFor(async () => (await announced(app, 'live')).length === 1, 60_000, 'a new live');
    expect(await announced(twin, 'live')).toEqual([]);
  }, 180_000);
});
