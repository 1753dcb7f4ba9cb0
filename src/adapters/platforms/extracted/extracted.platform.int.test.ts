import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeHls } from '../../../../test/fake-servers/hls.server.js';
import { systemClock } from '../../time/system-time.js';
import { UndiciHttpClient } from '../../http-client/undici-http-client.js';
import { findStreamlink } from '../../extractors/streamlink.extractor.js';
import { createRegistries } from '../../../main.js';
import type { Channel } from '../../../core/model.js';

const channel = (platform: string, url: string): Channel => ({
  id: 'c1',
  platform,
  url,
  name: null,
  intervalMs: null,
  options: {},
});

/** Platforms whose liveness is "the extractor finds a stream": a user's plugin, and streamlink. */
describe('extracted platforms', () => {
  const dir = mkdtempSync(join(tmpdir(), 'onair-plugin-'));
  const stateFile = join(dir, 'state.json');
  const module = join(dir, 'plugin.mjs');
  let http: UndiciHttpClient;
  let hls: FakeHls;

  beforeAll(async () => {
    // The plugin reads what the test wants it to say from a file: live, offline or an error.
    writeFileSync(
      module,
      `import { readFileSync } from 'node:fs';
export async function resolve(channel) {
  const state = JSON.parse(readFileSync(${JSON.stringify(stateFile)}, 'utf8'));
  if (state.mode === 'throw') throw new Error('the site is down');
  if (state.mode === 'offline') return null;
  return [{ url: channel.url + '/index.m3u8', quality: 'best', title: state.title }];
}
`,
    );
    http = new UndiciHttpClient({ connectionsPerOrigin: 2, userAgent: 'onair-test' });
    hls = await FakeHls.start();
  });
  afterAll(async () => {
    await http.close();
    await hls.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const registries = (rules: { use: string; module?: string; platform?: string }[]) =>
    createRegistries(
      http,
      { timeoutMs: 20_000, maxBytes: 1 << 20, deliveryTimeoutMs: 1_000 },
      systemClock,
      null,
      rules,
    );
  const probe = (
    platform: string,
    url: string,
    rules: { use: string; module?: string; platform?: string }[],
  ) =>
    registries(rules)
      .platforms.get(platform)!
      .probe(channel(platform, url), { wasLive: false }, AbortSignal.timeout(30_000));

  it('plugin: live with the title the plugin gives, offline when it returns null', async () => {
    const rules = [{ use: 'plugin', module, platform: 'plugin' }];
    writeFileSync(stateFile, JSON.stringify({ mode: 'live', title: 'From the plugin' }));
    expect(await probe('plugin', `${hls.url}/live`, rules)).toMatchObject({
      kind: 'live',
      title: 'From the plugin',
    });
    writeFileSync(stateFile, JSON.stringify({ mode: 'offline' }));
    expect(await probe('plugin', `${hls.url}/live`, rules)).toEqual({ kind: 'offline' });
  });

  it('plugin: an error or a missing rule is a failed probe, never offline', async () => {
    writeFileSync(stateFile, JSON.stringify({ mode: 'throw' }));
    expect(
      await probe('plugin', `${hls.url}/live`, [{ use: 'plugin', module, platform: 'plugin' }]),
    ).toMatchObject({
      kind: 'failed',
      error: expect.stringContaining('the site is down') as string,
    });
    expect(await probe('plugin', `${hls.url}/live`, [])).toMatchObject({
      kind: 'failed',
      error: 'no extractor for platform "plugin"',
    });
  });

  it('streamlink accepts its own URL forms: hls://, hlsvariant://, httpstream://', () => {
    const streamlink = registries([]).platforms.get('streamlink')!;
    for (const url of [
      'hls://https://cdn.example/live/index.m3u8',
      'hls://cdn.example/live/index.m3u8',
      'hlsvariant://http://127.0.0.1:8080/master.m3u8',
      'httpstream://https://relay.example/live.flv',
      'https://www.youtube.com/@someone/live',
    ])
      expect(streamlink.validateUrl(url), url).toBeNull();
    expect(streamlink.validateUrl('hls://ftp://cdn.example/x.m3u8')).toMatch(/after hls:\/\//);
    expect(streamlink.validateUrl('rtmp://cdn.example/live')).not.toBeNull();
    // Only streamlink knows these forms.
    expect(
      registries([]).platforms.get('plugin')!.validateUrl('hls://cdn.example/x'),
    ).not.toBeNull();
  });

  it.skipIf(findStreamlink() === null)(
    'streamlink: a 404 from the stream is offline, not a failed probe',
    async () => {
      expect(await probe('streamlink', `hls://${hls.url}/nothing/index.m3u8`, [])).toEqual({
        kind: 'offline',
      });
      hls.live = false;
      try {
        expect(await probe('streamlink', `${hls.url}/live/master.m3u8`, [])).toEqual({
          kind: 'offline',
        });
      } finally {
        hls.live = true;
      }
      expect(await probe('streamlink', `hls://${hls.url}/live/720p/index.m3u8`, [])).toMatchObject({
        kind: 'live',
      });
    },
    90_000,
  );

  it.skipIf(findStreamlink() === null)(
    'streamlink: live on a playlist it can open; a dead URL is a failed probe, not offline',
    async () => {
      expect(await probe('streamlink', `${hls.url}/live/master.m3u8`, [])).toMatchObject({
        kind: 'live',
      });
      const dead = await probe('streamlink', 'http://127.0.0.1:1/live/master.m3u8', []);
      expect(dead.kind).toBe('failed');
    },
    60_000,
  );
});
