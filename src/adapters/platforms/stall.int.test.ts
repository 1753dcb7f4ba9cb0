import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen, type Running } from '../../../test/fake-servers/listen.js';
import { ManualTime } from '../../../test/fakes/manual-time.js';
import { flvHeader, writeTag } from '../../core/flv/tags.js';
import type { Channel } from '../../core/model.js';
import { UndiciHttpClient } from '../http-client/undici-http-client.js';
import { FlvPlatform } from './flv/flv.platform.js';
import { HlsPlatform } from './hls/hls.platform.js';
import { OwncastPlatform } from './owncast/owncast.platform.js';

/**
 * Stalls (README, rule 4): a stream that stops advancing counts as offline, reason `stalled`,
 * after `max(3 × target duration, poll.staleAfter)`, dated to when it stopped. A fake origin whose
 * playlist only moves when the test says so, on a clock the test advances.
 */
describe('stalled streams are offline', () => {
  let origin: Running;
  let http: UndiciHttpClient;
  /** The playlist's media sequence; `frozen` stops it from moving with each request. */
  let sequence = 0;
  let frozen = false;
  let target = 2;
  /** FLV: `silent` answers 200 with the FLV header and then nothing. */
  let flvSilent = false;
  let owncastOnline = true;

  const channel = (id: string, url: string): Channel => ({
    id,
    platform: 'x',
    url,
    name: null,
    intervalMs: null,
    options: {},
  });

  beforeAll(async () => {
    origin = await listen((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/live/index.m3u8' || path === '/oc/hls/stream.m3u8') {
        if (!frozen) sequence++;
        const lines = [
          '#EXTM3U',
          `#EXT-X-TARGETDURATION:${target}`,
          `#EXT-X-MEDIA-SEQUENCE:${sequence}`,
        ];
        for (let i = 0; i < 3; i++)
          lines.push(`#EXTINF:${target},`, `seg_${sequence + i}.ts?t=${Math.random()}`);
        res.writeHead(200).end(`${lines.join('\n')}\n`);
      } else if (path === '/oc/api/status') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            online: owncastOnline,
            lastConnectTime: owncastOnline ? '2026-01-01T00:00:00Z' : null,
            viewerCount: 1,
            streamTitle: 'T',
          }),
        );
      } else if (path === '/redirect.flv') {
        res.writeHead(302, { location: '/live.flv' }).end();
      } else if (path === '/live.flv') {
        res.writeHead(200, { 'content-type': 'video/x-flv' });
        res.write(flvHeader({ audio: false, video: true }));
        if (!flvSilent) res.write(writeTag(9, 0, Uint8Array.of(0x17, 0x00, 0, 0, 0, 1, 0x64)));
        // The body stays open, like a live relay.
      } else res.writeHead(404).end();
    });
    http = new UndiciHttpClient({ connectionsPerOrigin: 4, userAgent: 'onair-test' });
  });
  afterAll(async () => {
    await http.close();
    await origin.close();
  });

  it('hls: frozen for max(3 × target duration, staleAfter) is offline (stalled) since it stopped; moving again is live', async () => {
    const time = new ManualTime();
    const hls = new HlsPlatform(
      { http, timeoutMs: 2_000, maxBytes: 1 << 20 },
      { clock: time, staleAfterMs: 5_000 },
    );
    const probe = () =>
      hls.probe(
        channel('cam', `${origin.url}/live/index.m3u8`),
        { wasLive: true },
        AbortSignal.timeout(5_000),
      );
    frozen = false;
    target = 4;
    expect((await probe()).kind).toBe('live');
    frozen = true;
    expect((await probe()).kind).toBe('live');
    const stoppedAt = time.now();
    // 3 × 4 s = 12 s beats staleAfter (5 s): still live at 12 s, stalled after.
    await time.advance(12_000);
    expect((await probe()).kind).toBe('live');
    await time.advance(1);
    expect(await probe()).toEqual({ kind: 'offline', reason: 'stalled', since: stoppedAt });
    frozen = false;
    expect((await probe()).kind).toBe('live');
    // Negative twin: a playlist that keeps moving is never stalled, however long it is watched.
    for (let i = 0; i < 5; i++) {
      await time.advance(20_000);
      expect((await probe()).kind).toBe('live');
    }
  });

  it('owncast: the API says online but the HLS playlist froze: offline (stalled); the API alone is not enough', async () => {
    const time = new ManualTime();
    const owncast = new OwncastPlatform(
      { http, timeoutMs: 2_000, maxBytes: 1 << 20 },
      { clock: time, staleAfterMs: 5_000 },
    );
    const probe = (wasLive: boolean) =>
      owncast.probe(channel('oc', `${origin.url}/oc`), { wasLive }, AbortSignal.timeout(5_000));
    frozen = true;
    target = 1;
    owncastOnline = true;
    expect((await probe(false)).kind).toBe('live');
    await time.advance(5_001);
    expect(await probe(true)).toMatchObject({ kind: 'offline', reason: 'stalled' });
    frozen = false;
    expect((await probe(true)).kind).toBe('live');
  });

  it('flv: answering without a tag for staleAfter is offline (stalled); until then a failed probe', async () => {
    const time = new ManualTime();
    const flv = new FlvPlatform({
      timeoutMs: 300,
      userAgent: 'onair-test',
      stalls: { clock: time, staleAfterMs: 10_000 },
    });
    const probe = () =>
      flv.probe(
        channel('relay', `${origin.url}/live.flv`),
        { wasLive: true },
        AbortSignal.timeout(5_000),
      );
    flvSilent = false;
    expect((await probe()).kind).toBe('live');
    flvSilent = true;
    const stoppedAt = time.now();
    expect((await probe()).kind).toBe('failed');
    await time.advance(10_000);
    expect((await probe()).kind).toBe('failed');
    await time.advance(1);
    expect(await probe()).toEqual({ kind: 'offline', reason: 'stalled', since: stoppedAt });
    flvSilent = false;
    expect((await probe()).kind).toBe('live');
  });

  it('flv: the probe follows redirects', async () => {
    flvSilent = false;
    const flv = new FlvPlatform({ timeoutMs: 2_000, userAgent: 'onair-test' });
    expect(
      (
        await flv.probe(
          channel('relay', `${origin.url}/redirect.flv`),
          { wasLive: false },
          AbortSignal.timeout(5_000),
        )
      ).kind,
    ).toBe('live');
  });
});
