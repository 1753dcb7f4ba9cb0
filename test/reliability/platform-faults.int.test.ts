import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadOnairConfig, startOnair, type Onair } from '../../src/main.js';
import { removeDir } from '../e2e/harness.js';
import { FaultyPlatform, PLATFORM_FAULTS } from '../fake-servers/faulty-platform.server.js';
import { WebhookReceiver } from '../fake-servers/webhook-receiver.server.js';
import { recordFigures, sleep } from './serve-process.js';

const TOKEN = 'faults-admin-token';
const RUN_MS = 14_000;
const WARM_MS = 4_000;

/** TCP sockets this process holds open (onair's clients and the fakes' server sides). */
function tcpHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'TCPWRAP')
    .length;
}

/**
 * Every platform fault at once against the whole app on the real clock (timeouts are real):
 * each fault mode is an Owncast channel and a generic-HLS channel; `flip` changes live/offline
 * every 150 ms under a 1 s poll; `healthy` goes live once as the positive control.
 */
describe('platform faults: no false notification, no crash, bounded memory and sockets', () => {
  const dir = mkdtempSync(join(tmpdir(), 'onair-faults-'));
  let fake: FaultyPlatform;
  let receiver: WebhookReceiver;
  let onair: Onair;

  beforeAll(async () => {
    fake = await FaultyPlatform.start();
    receiver = await WebhookReceiver.start();
    const modes = [...PLATFORM_FAULTS, 'flip', 'healthy'];
    const file = join(dir, 'onair.yaml');
    writeFileSync(
      file,
      stringify({
        dataDir: join(dir, 'data'),
        auth: { adminToken: TOKEN },
        poll: { interval: '1s', timeout: '1s', maxBackoff: '2s' },
        targets: [{ id: 'hook', type: 'webhook', url: receiver.url }],
        channels: modes.flatMap((mode) => [
          {
            id: `owncast-${mode}`,
            platform: 'owncast',
            url: `${fake.url}/${mode}`,
            notify: [{ target: 'hook', events: ['live', 'title', 'offline'] }],
          },
          ...(mode === 'healthy' || mode === 'flip'
            ? []
            : [
                {
                  id: `hls-${mode}`,
                  platform: 'hls',
                  url: `${fake.url}/${mode}/api/status`,
                  notify: [{ target: 'hook', events: ['live', 'title', 'offline'] }],
                },
              ]),
        ]),
      }),
    );
    onair = await startOnair({
      loaded: loadOnairConfig(file, {}),
      logger: pino({ level: 'silent' }),
      listen: false,
    });
  });
  afterAll(async () => {
    await onair.stop();
    await fake.close();
    await receiver.close();
    removeDir(dir);
  });

  it('keeps quiet about every faulty channel while announcing the healthy one', async () => {
    const samples: {
      at: number;
      rss: number;
      heap: number;
      tcp: number;
      fakeConnections: number;
    }[] = [];
    const sample = (at: number) => {
      const { rss, heapUsed } = process.memoryUsage();
      samples.push({
        at,
        rss,
        heap: heapUsed,
        tcp: tcpHandles(),
        fakeConnections: fake.openConnections,
      });
    };
    const started = Date.now();
    let wentLive = false;
    while (Date.now() - started < RUN_MS) {
      await sleep(500);
      const at = Date.now() - started;
      if (at >= WARM_MS) sample(at);
      if (!wentLive && at > RUN_MS / 2) {
        fake.healthyLive = true;
        wentLive = true;
      }
    }
    await onair.delivery.settle();

    const health = await onair.http.inject({ method: 'GET', url: '/healthz' });
    expect(health.statusCode).toBe(200);
    const channels = (
      await onair.http.inject({
        method: 'GET',
        url: '/api/v1/channels',
        headers: { authorization: `Bearer ${TOKEN}` },
      })
    ).json<
      { id: string; status: string; consecutiveFailures: number; lastError: string | null }[]
    >();
    const byId = new Map(channels.map((c) => [c.id, c]));
    const notices = receiver.requests.map(
      (r) => `${r.body.event}:${(r.body.channel as { id: string }).id}`,
    );
    const first = samples[0]!;
    const last = samples.at(-1)!;
    const maxOf = (key: 'tcp' | 'fakeConnections') => Math.max(...samples.map((s) => s[key]));
    recordFigures('platform-faults', {
      faultModes: PLATFORM_FAULTS.length,
      faultyChannels: channels.length - 2,
      faultsInjected: fake.faultsInjected,
      requestsByMode: Object.fromEntries(fake.requests),
      flipRequests: fake.requests.get('flip') ?? 0,
      notifications: notices,
      giganticMaxBytesPushed: fake.giganticMaxBytes,
      rssGrowthAfterWarmUp: last.rss - first.rss,
      heapGrowthAfterWarmUp: last.heap - first.heap,
      maxTcpHandles: maxOf('tcp'),
      maxFakeConnections: maxOf('fakeConnections'),
      lastErrors: Object.fromEntries(
        channels.filter((c) => c.lastError !== null).map((c) => [c.id, c.lastError]),
      ),
    });

    // The positive control proves notifications flow; no faulty channel was announced. The flipping
    // channel is truly live at times: seen offline first, it may announce one go-live, then its
    // flaps stay inside the reconnect grace — never a second notice, never an offline.
    expect(notices.filter((n) => n !== 'live:owncast-flip')).toEqual(['live:owncast-healthy']);
    expect(notices.filter((n) => n === 'live:owncast-flip').length).toBeLessThanOrEqual(1);
    for (const mode of PLATFORM_FAULTS) {
      expect(fake.requests.get(mode) ?? 0, mode).toBeGreaterThanOrEqual(3);
      // A failure is never "offline", and after three in a row the channel shows as unreachable.
      expect(byId.get(`owncast-${mode}`)?.status, mode).toBe('unreachable');
      expect(['unreachable', 'offline'], mode).toContain(byId.get(`hls-${mode}`)?.status);
    }
    expect(fake.requests.get('flip')).toBeGreaterThanOrEqual(8);
    // The byte cap (1 MiB) holds: the gigantic body is cut off after the cap and socket buffers.
    expect(fake.giganticMaxBytes).toBeLessThan(16 * 1_048_576);
    // Bounded: sockets do not pile up behind hanging and slow peers, memory does not climb.
    expect(maxOf('fakeConnections')).toBeLessThanOrEqual(channels.length * 2);
    expect(last.fakeConnections).toBeLessThanOrEqual(first.fakeConnections + channels.length);
    expect(last.heap - first.heap).toBeLessThan(64 * 1_048_576);
  }, 60_000);
});
