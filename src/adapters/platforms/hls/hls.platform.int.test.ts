import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformContract } from '../../../../test/contracts/platform.contract.js';
import { FakeHls } from '../../../../test/fake-servers/hls.server.js';
import { UndiciHttpClient } from '../../http-client/undici-http-client.js';
import { HlsPlatform } from './hls.platform.js';

platformContract({
  name: 'hls',
  create: (deps) => new HlsPlatform(deps),
  reportsTitle: false,
  badUrls: ['nope', 'rtmp://example.org/live'],
  startFake: async () => {
    const fake = await FakeHls.start();
    return {
      channelUrl: `${fake.url}/live/master.m3u8`,
      goLive: () => {
        fake.live = true;
        fake.ended = false;
      },
      goOffline: () => {
        fake.ended = true;
      },
      fault: (kind) => {
        fake.fault =
          kind === null
            ? null
            : ({ error: 'error500', hang: 'hang', garbage: 'garbage', huge: 'huge' } as const)[
                kind
              ];
      },
      close: () => fake.close(),
    };
  },
});

describe('hls specifics', () => {
  let fake: FakeHls;
  let http: UndiciHttpClient;
  let hls: HlsPlatform;
  const channel = (url: string) => ({
    id: 'cam',
    platform: 'hls',
    url,
    name: null,
    intervalMs: null,
    options: {},
  });
  const probe = (url: string) =>
    hls.probe(channel(url), { wasLive: false }, AbortSignal.timeout(2_000));

  beforeAll(async () => {
    fake = await FakeHls.start();
    http = new UndiciHttpClient({ connectionsPerOrigin: 2, userAgent: 'onair-test' });
    hls = new HlsPlatform({ http, timeoutMs: 500, maxBytes: 64 * 1024 });
  });
  afterAll(async () => {
    await fake.close();
    await http.close();
  });

  it('follows a multivariant playlist to its first variant', async () => {
    fake.requests.length = 0;
    expect((await probe(`${fake.url}/live/master.m3u8`)).kind).toBe('live');
    expect(fake.requests).toEqual(['/live/master.m3u8', '/live/720p/index.m3u8']);
  });

  it('resolves relative URIs against the URL after redirects', async () => {
    fake.requests.length = 0;
    expect((await probe(`${fake.url}/redirect/master.m3u8`)).kind).toBe('live');
    expect(fake.requests).toEqual([
      '/redirect/master.m3u8',
      '/cdn/token123/master.m3u8',
      '/cdn/token123/720p/index.m3u8',
    ]);
  });

  it('is offline when the playlist has #EXT-X-ENDLIST or is gone', async () => {
    fake.ended = true;
    expect((await probe(`${fake.url}/live/master.m3u8`)).kind).toBe('offline');
    fake.ended = false;
    fake.fault = 'gone';
    expect((await probe(`${fake.url}/live/master.m3u8`)).kind).toBe('offline');
    fake.fault = null;
  });

  it('fails on a redirect loop', async () => {
    fake.fault = 'redirectLoop';
    expect(await probe(`${fake.url}/loop/a.m3u8`)).toMatchObject({ kind: 'failed' });
    fake.fault = null;
  });
});
