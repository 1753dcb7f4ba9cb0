import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformContract } from '../../../../test/contracts/platform.contract.js';
import { FakeOwncast } from '../../../../test/fake-servers/owncast.server.js';
import { UndiciHttpClient } from '../../http-client/undici-http-client.js';
import { OwncastPlatform } from './owncast.platform.js';

platformContract({
  name: 'owncast',
  create: (deps) => new OwncastPlatform(deps),
  reportsTitle: true,
  badUrls: ['not a url', 'ftp://example.org', 'file:///etc/passwd'],
  startFake: async () => {
    const fake = await FakeOwncast.start();
    return {
      channelUrl: `${fake.url}/instance`,
      goLive: (title) => {
        fake.goLive(title, new Date(), '/instance');
      },
      goOffline: () => {
        fake.goOffline('/instance');
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

describe('owncast specifics', () => {
  let fake: FakeOwncast;
  let http: UndiciHttpClient;
  let owncast: OwncastPlatform;
  const channel = (url: string) => ({
    id: 'alice',
    platform: 'owncast',
    url,
    name: null,
    intervalMs: null,
    options: {},
  });

  beforeAll(async () => {
    fake = await FakeOwncast.start();
    http = new UndiciHttpClient({ connectionsPerOrigin: 2, userAgent: 'onair-test' });
    owncast = new OwncastPlatform({ http, timeoutMs: 1_000, maxBytes: 64 * 1024 });
  });
  afterAll(async () => {
    await fake.close();
    await http.close();
  });

  it('is live while lastConnectTime is set, even before `online` turns true', async () => {
    fake.goLive('Warm-up', new Date('2026-01-01T10:00:00Z'), '/p');
    fake.state('/p').live = false; // Owncast's `online` lags the RTMP connect
    const obs = await owncast.probe(
      channel(`${fake.url}/p/`),
      { wasLive: false },
      AbortSignal.timeout(2_000),
    );
    expect(obs).toMatchObject({
      kind: 'live',
      title: 'Warm-up',
      startedAt: Date.parse('2026-01-01T10:00:00Z'),
    });
  });

  it('reads name and tags from /api/config only when the channel was not live before', async () => {
    fake.goLive('Show', new Date(), '/q');
    Object.assign(fake.state('/q'), { name: 'Alice TV', tags: ['music', 'live'], viewers: 0 });
    const before = fake.configRequests;
    const first = await owncast.probe(
      channel(`${fake.url}/q`),
      { wasLive: false },
      AbortSignal.timeout(2_000),
    );
    expect(first).toMatchObject({
      kind: 'live',
      name: 'Alice TV',
      tags: ['music', 'live'],
      viewers: null,
    });
    await owncast.probe(channel(`${fake.url}/q`), { wasLive: true }, AbortSignal.timeout(2_000));
    await owncast.probe(channel(`${fake.url}/q`), { wasLive: true }, AbortSignal.timeout(2_000));
    expect(fake.configRequests - before).toBe(1);
  });

  it('keeps the probe live when /api/config fails', async () => {
    fake.goLive('Show', new Date(), '/r');
    fake.configFails = true;
    const obs = await owncast.probe(
      channel(`${fake.url}/r`),
      { wasLive: false },
      AbortSignal.timeout(2_000),
    );
    fake.configFails = false;
    expect(obs).toMatchObject({ kind: 'live', title: 'Show', name: null, tags: [] });
  });

  it('rejects a body of the wrong shape as a failure', async () => {
    fake.fault = 'wrongShape';
    const obs = await owncast.probe(
      channel(fake.url),
      { wasLive: false },
      AbortSignal.timeout(2_000),
    );
    fake.fault = null;
    expect(obs).toMatchObject({
      kind: 'failed',
      error: 'Owncast /api/status returned an unexpected body',
    });
  });

  it('turns a reset connection into a failure', async () => {
    fake.fault = 'reset';
    const obs = await owncast.probe(
      channel(fake.url),
      { wasLive: false },
      AbortSignal.timeout(2_000),
    );
    fake.fault = null;
    expect(obs.kind).toBe('failed');
  });
});
