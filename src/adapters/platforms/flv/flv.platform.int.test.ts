import { describe, expect, it } from 'vitest';
import { platformContract } from '../../../../test/contracts/platform.contract.js';
import { FakeFlv } from '../../../../test/fake-servers/flv.server.js';
import { FlvExtractor, FlvPlatform } from './flv.platform.js';

platformContract({
  name: 'flv',
  create: (deps) => new FlvPlatform({ timeoutMs: deps.timeoutMs, userAgent: 'onair-test' }),
  reportsTitle: false,
  badUrls: ['nope', 'rtmp://example.org/live/stream'],
  startFake: async () => {
    const fake = await FakeFlv.start();
    return {
      channelUrl: fake.url,
      goLive: () => {
        fake.live = true;
      },
      goOffline: () => {
        fake.live = false;
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

describe('flv specifics', () => {
  it('recognises .flv URLs and resolves a channel to its own URL', async () => {
    const flv = new FlvPlatform({ timeoutMs: 100, userAgent: 'x' });
    expect(flv.recognises(new URL('http://cdn.example/live/room.FLV?token=1'))).toBe(true);
    expect(flv.recognises(new URL('http://cdn.example/live/index.m3u8'))).toBe(false);
    const resolved = await new FlvExtractor().resolve({
      id: 'c',
      platform: 'flv',
      url: 'http://cdn.example/live.flv',
      name: null,
      intervalMs: null,
      options: {},
    });
    expect(resolved).toStrictEqual({
      ok: true,
      sources: [{ url: 'http://cdn.example/live.flv', quality: 'best', format: 'flv' }],
    });
  });
});
