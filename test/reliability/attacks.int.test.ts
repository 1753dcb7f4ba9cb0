import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { REDACT_PATHS, loadOnairConfig, startOnair, type Onair } from '../../src/main.js';
import { removeDir } from '../e2e/harness.js';
import { listen, type Running } from '../fake-servers/listen.js';
import { FakeOwncast } from '../fake-servers/owncast.server.js';
import { FakeTwitchAuth } from '../fake-servers/twitch-auth.server.js';
import { FakeEventSub } from '../fake-servers/twitch-eventsub.server.js';
import { FakeHelix } from '../fake-servers/twitch-helix.server.js';
import { WebhookReceiver } from '../fake-servers/webhook-receiver.server.js';
import { ManualTime } from '../fakes/manual-time.js';
import { recordFigures } from './serve-process.js';

/** A fresh, recognisable secret: found anywhere in a log line, it leaked. */
const secret = (label: string) => `${label}${randomBytes(12).toString('hex')}`;
const SECRETS = {
  admin: secret('ADMINTOKEN'),
  user: secret('USERTOKEN'),
  webhookSecret: secret('WHSECRET'),
  webhookHeader: secret('WHHEADER'),
  webhookQuery: secret('WHQUERY'),
  ntfyToken: secret('NTFYTOKEN'),
  ntfyPassword: secret('NTFYPASS'),
  telegram: `123456:${secret('TGBOT')}`,
  discord: secret('DISCORDHOOK'),
  matrix: secret('MATRIXTOKEN'),
  twitchSecret: secret('TWITCHSECRET'),
  cdnPath: secret('CDNPATH'),
  cdnQuery: secret('CDNQUERY'),
  owncastHook: secret('OWNCASTHOOK'),
};
/** Secrets onair hands out during the run (API token, session): added as they appear. */
const issued: string[] = [];

/**
 * A CDN-like origin whose URLs carry tokens in path and query; its playlist also lists a
 * `file:` URI and a segment that redirects to `file:`. Every request is counted.
 */
class Origin {
  hits: string[] = [];
  refusedOnce = false;
  running!: Running;

  async start(): Promise<void> {
    this.running = await listen((req, res) => {
      const url = req.url ?? '';
      this.hits.push(url);
      const prefix = `/t/${SECRETS.cdnPath}/live/`;
      if (!url.startsWith(prefix) || !url.includes(`sig=${SECRETS.cdnQuery}`))
        return void res.writeHead(403).end();
      const name = url.slice(prefix.length).split('?')[0];
      if (name === 'index.m3u8') {
        res.writeHead(200, { 'content-type': 'application/vnd.apple.mpegurl' });
        return void res.end(
          `#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\nseg_1.ts?sig=${SECRETS.cdnQuery}\n#EXTINF:2,\nfile:///etc/passwd\n#EXTINF:2,\nredirect.ts?sig=${SECRETS.cdnQuery}\n`,
        );
      }
      if (name === 'redirect.ts')
        return void res.writeHead(302, { location: 'file:///etc/passwd' }).end();
      if (name === 'seg_1.ts') {
        // The first fetch is refused like an expired CDN token: the refresh path runs (and logs).
        if (!this.refusedOnce) {
          this.refusedOnce = true;
          return void res.writeHead(410).end();
        }
        return void res
          .writeHead(200, { 'content-type': 'video/mp2t' })
          .end(Buffer.alloc(1_000, 7));
      }
      res.writeHead(404).end();
    });
  }

  get playlistUrl(): string {
    return `${this.running.url}/t/${SECRETS.cdnPath}/live/index.m3u8?sig=${SECRETS.cdnQuery}`;
  }
}

/**
 * The attack surface of the whole app, in process on a manual clock, with every kind of secret
 * configured and pino at `trace` writing every line to memory: the proxy as an open-proxy/SSRF
 * vector, brute force on tokens, the web app's headers, and secrets in logs and API answers.
 */
describe('attacks', () => {
  const dir = mkdtempSync(join(tmpdir(), 'onair-attacks-'));
  const lines: string[] = [];
  const time = new ManualTime(Date.now());
  const origin = new Origin();
  const canaryHits: string[] = [];
  let canary: Running;
  let owncast: FakeOwncast;
  let receiver: WebhookReceiver;
  let auth: FakeTwitchAuth;
  let eventsub: FakeEventSub;
  let helix: FakeHelix;
  let onair: Onair;

  const request = (
    method: 'GET' | 'POST' | 'DELETE',
    url: string,
    options: {
      token?: string | null;
      body?: object;
      remoteAddress?: string;
      headers?: Record<string, string>;
    } = {},
  ) =>
    onair.http.inject({
      method,
      url,
      ...(options.remoteAddress === undefined ? {} : { remoteAddress: options.remoteAddress }),
      headers: {
        ...(options.token === null
          ? {}
          : { authorization: `Bearer ${options.token ?? SECRETS.admin}` }),
        ...options.headers,
      },
      ...(options.body === undefined ? {} : { payload: options.body }),
    });

  beforeAll(async () => {
    await origin.start();
    canary = await listen((req, res) => {
      canaryHits.push(req.url ?? '');
      res.writeHead(200).end('canary');
    });
    owncast = await FakeOwncast.start();
    receiver = await WebhookReceiver.start();
    auth = await FakeTwitchAuth.start('attack-client', SECRETS.twitchSecret);
    eventsub = await FakeEventSub.start();
    helix = await FakeHelix.start(auth, eventsub);
    helix.userToken = secret('TWITCHUSER');
    helix.addUser('streamer', '1001');
    const closed = 'http://127.0.0.1:1';
    const file = join(dir, 'onair.yaml');
    const all = ['live', 'title', 'offline'];
    writeFileSync(
      file,
      stringify({
        dataDir: join(dir, 'data'),
        log: { level: 'trace' },
        auth: {
          adminToken: SECRETS.admin,
          users: [{ name: 'viewer', token: SECRETS.user, permissions: [{ action: 'read' }] }],
        },
        twitch: {
          clientId: auth.clientId,
          clientSecret: SECRETS.twitchSecret,
          userToken: helix.userToken,
          apiBase: helix.url,
          authBase: auth.url,
          eventsubUrl: eventsub.url,
        },
        delivery: { timeout: '1s' },
        targets: [
          {
            id: 'hook',
            type: 'webhook',
            url: `${receiver.url}?key=${SECRETS.webhookQuery}`,
            secret: SECRETS.webhookSecret,
            headers: { authorization: `Bearer ${SECRETS.webhookHeader}` },
          },
          {
            id: 'hook-down',
            type: 'webhook',
            url: `${closed}/hook?key=${SECRETS.webhookQuery}`,
            secret: SECRETS.webhookSecret,
          },
          { id: 'ntfy', type: 'ntfy', server: closed, topic: 'alerts', token: SECRETS.ntfyToken },
          {
            id: 'ntfy-basic',
            type: 'ntfy',
            server: closed,
            topic: 'alerts',
            username: 'me',
            password: SECRETS.ntfyPassword,
          },
          {
            id: 'telegram',
            type: 'telegram',
            apiUrl: closed,
            botToken: SECRETS.telegram,
            chatId: '42',
          },
          { id: 'discord', type: 'discord', url: `${closed}/api/webhooks/1/${SECRETS.discord}` },
          {
            id: 'matrix',
            type: 'matrix',
            homeserver: closed,
            accessToken: SECRETS.matrix,
            roomId: '!room:example.org',
          },
        ],
        channels: [
          {
            id: 'alice',
            platform: 'owncast',
            url: owncast.url,
            webhookSecret: SECRETS.owncastHook,
            notify: [
              'hook',
              'hook-down',
              'ntfy',
              'ntfy-basic',
              'telegram',
              'discord',
              'matrix',
            ].map((target) => ({ target, events: all })),
          },
          {
            id: 'cam',
            platform: 'hls',
            url: origin.playlistUrl,
            notify: [{ target: 'hook', events: all }],
          },
          {
            id: 'streamer',
            platform: 'twitch',
            url: 'https://twitch.tv/streamer',
            notify: [{ target: 'hook', events: all }],
          },
        ],
      }),
    );
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(
          ...chunk
            .toString('utf8')
            .split('\n')
            .filter((l) => l !== ''),
        );
        done();
      },
    });
    const logger = pino(
      { level: 'trace', redact: { paths: REDACT_PATHS, censor: 'REDACTED' } },
      sink,
    );
    onair = await startOnair({
      loaded: loadOnairConfig(file, {}),
      logger,
      clock: time,
      timers: time,
      monotonic: time.monotonic,
      random: () => 0.5,
      listen: false,
    });
  });
  afterAll(async () => {
    await onair.stop();
    for (const server of [origin.running, canary]) await server.close();
    await owncast.close();
    await receiver.close();
    await helix.close();
    await eventsub.shutdown();
    await auth.close();
    removeDir(dir);
  });

  /** Steps the clock by seconds and lets the outbox send what falls due (polls are driven by hand). */
  async function deliverFor(ms: number): Promise<void> {
    for (let elapsed = 0; elapsed < ms; elapsed += 1_000) {
      time.set(time.now() + 1_000);
      await onair.delivery.settle();
    }
  }

  it('runs a full scenario: go-lives, failing and working deliveries, push, hooks, playback, sessions', async () => {
    for (const id of ['alice', 'cam', 'streamer']) await onair.poll.checkNow(id);
    owncast.goLive('Secretless title', new Date(time.now()));
    helix.users.get('streamer')!.liveSince = new Date(time.now()).toISOString();
    for (const id of ['alice', 'streamer']) await onair.poll.checkNow(id);
    const hook = await request(
      'POST',
      `/api/v1/hooks/owncast/alice?secret=${SECRETS.owncastHook}`,
      { token: null, body: { type: 'STREAM_TITLE_UPDATED', eventData: { streamTitle: 'x' } } },
    );
    expect(hook.statusCode).toBeLessThan(500);
    await deliverFor(10_000);
    expect(receiver.requests.length).toBeGreaterThan(0);
    // Playback through the proxy, with the CDN refusing once (the refresh path runs).
    const playback = (await request('GET', '/api/v1/channels/cam/playback')).json<{
      master: string;
      variants: { url: string }[];
    }>();
    const variant = await request('GET', playback.variants[0]!.url, { token: null });
    expect(variant.statusCode).toBe(200);
    const segment = variant.body.split('\n').find((l) => l.startsWith('media.ts'))!;
    expect((await request('GET', `/api/v1/proxy/${segment}`, { token: null })).statusCode).toBe(
      200,
    );
    // The viewer user: a session, an API token, and a few wrong guesses that are logged as failures.
    const session = await request('POST', '/api/v1/session', {
      token: null,
      body: { token: SECRETS.user },
    });
    issued.push(/onair_session=([^;]+)/.exec(String(session.headers['set-cookie']))![1]!);
    const token = (
      await request('POST', '/api/v1/tokens', { body: { user: 'viewer', name: 'ci' } })
    ).json<{ token: string }>();
    issued.push(token.token);
    expect((await request('GET', '/api/v1/channels', { token: token.token })).statusCode).toBe(200);
    for (const guess of [`${SECRETS.admin}x`, SECRETS.user.slice(0, -1)])
      expect((await request('GET', '/api/v1/channels', { token: guess })).statusCode).toBe(401);
    await deliverFor(60_000);
  });

  describe('the HLS proxy fetches only what onair resolved, never a URL a client gives', () => {
    let variantBody = '';
    let variantPath = '';
    beforeAll(async () => {
      const playback = (await request('GET', '/api/v1/channels/cam/playback')).json<{
        variants: { url: string }[];
      }>();
      variantPath = playback.variants[0]!.url;
      variantBody = (await request('GET', variantPath, { token: null })).body;
    });
    const proxyLines = () => variantBody.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    const segmentPath = (name: string) =>
      `/api/v1/proxy/${proxyLines().find((l) => l.startsWith(name))!}`;

    it.each([
      ['no token', () => '/api/v1/proxy/media.ts'],
      ['garbage', () => '/api/v1/proxy/media.ts?t=garbage'],
      [
        'a client URL as the name',
        () => `/api/v1/proxy/${encodeURIComponent(`${canary.url}/x`)}?t=x`,
      ],
      [
        'a client URL as the token',
        () => `/api/v1/proxy/media.ts?t=${encodeURIComponent(canary.url)}`,
      ],
      ['a file URL as the token', () => '/api/v1/proxy/media.ts?t=file%3A%2F%2F%2Fetc%2Fpasswd'],
      [
        'a tampered token',
        () => {
          const p = segmentPath('media.ts');
          const i = p.indexOf('t=') + 40;
          return p.slice(0, i) + (p[i] === 'A' ? 'B' : 'A') + p.slice(i + 1);
        },
      ],
    ])('refuses %s with 403 and no upstream request', async (_name, make) => {
      origin.hits = [];
      const res = await request('GET', make(), { token: null });
      expect(res.statusCode).toBe(403);
      expect(origin.hits).toEqual([]);
      expect(canaryHits).toEqual([]);
    });

    it('ignores client URLs in extra parameters and LL-HLS directives (they only reach the origin as values)', async () => {
      origin.hits = [];
      const extra = `&u=${encodeURIComponent(canary.url)}&url=${encodeURIComponent(canary.url)}&_HLS_msn=${encodeURIComponent(`${canary.url}/x`)}`;
      expect(
        (await request('GET', `${segmentPath('media.ts')}${extra}`, { token: null })).statusCode,
      ).toBe(200);
      expect((await request('GET', `${variantPath}${extra}`, { token: null })).statusCode).toBe(
        200,
      );
      expect(canaryHits).toEqual([]);
      expect(origin.hits.every((h) => h.startsWith(`/t/${SECRETS.cdnPath}/live/`))).toBe(true);
    });

    it('never turns a file: URI of the upstream playlist into a proxy URL, and refuses a redirect to file:', async () => {
      expect(proxyLines()).toContain('file:///etc/passwd'); // left as it was: the player's business, not fetched by onair
      expect(proxyLines().filter((l) => l.includes('?t='))).toHaveLength(2);
      // seg_1.ts, then redirect.ts (both named media.ts for players): the second redirects to file:.
      const redirecting = proxyLines().filter((l) => l.includes('?t='))[1]!;
      const res = await request('GET', `/api/v1/proxy/${redirecting}`, { token: null });
      expect(res.statusCode).toBe(502);
      expect(res.body).not.toContain('passwd');
    });

    it('refuses an expired proxy URL, and one for a channel that was deleted', async () => {
      const segment = segmentPath('media.ts');
      expect(
        (
          await request('POST', '/api/v1/channels', {
            body: { id: 'gone', platform: 'hls', url: origin.playlistUrl },
          })
        ).statusCode,
      ).toBe(201);
      const gone = (await request('GET', '/api/v1/channels/gone/playback')).json<{
        variants: { url: string }[];
      }>().variants[0]!.url;
      expect((await request('DELETE', '/api/v1/channels/gone')).statusCode).toBe(204);
      origin.hits = [];
      expect((await request('GET', gone, { token: null })).statusCode).toBe(403);
      time.set(time.now() + 11 * 60_000); // segment URLs live ten minutes
      expect(
        (await request('GET', segment, { token: null })).json<{ error: { message: string } }>()
          .error.message,
      ).toBe('proxy URL expired');
      expect(origin.hits).toEqual([]);
    });
  });

  it('rate limits token guessing per address: a bounded number of answered guesses, then 429; a valid token still works', async () => {
    const attacker = '203.0.113.7';
    const statuses: number[] = [];
    for (let i = 0; i < 200; i++)
      statuses.push(
        (
          await request('GET', '/api/v1/channels', {
            token: `onair_${randomBytes(16).toString('hex')}`,
            remoteAddress: attacker,
          })
        ).statusCode,
      );
    const guessed = statuses.filter((s) => s === 401).length;
    const refused = await request('GET', '/api/v1/channels', {
      token: 'one-more-guess',
      remoteAddress: attacker,
    });
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    // Issue 19/22: only failures are refused; a valid token or login behind that address works.
    expect((await request('GET', '/api/v1/channels', { remoteAddress: attacker })).statusCode).toBe(
      200,
    );
    expect(
      (
        await request('POST', '/api/v1/session', {
          token: null,
          remoteAddress: attacker,
          body: { token: SECRETS.user },
        })
      ).statusCode,
    ).toBe(200);
    expect(
      (await request('GET', '/api/v1/channels', { remoteAddress: '203.0.113.8' })).statusCode,
    ).toBe(200);
    expect(guessed).toBe(10); // auth.failedAuth.maxFailures, per 15-minute window
    recordFigures('attacks-bruteforce', {
      attempts: statuses.length,
      answeredBefore429: guessed,
      refusedWith429: statuses.filter((s) => s === 429).length,
    });
  });

  it('sets the web app security headers', async () => {
    expect(
      existsSync(join(import.meta.dirname, '../../dist/web/index.html')),
      'the web app is built by `npm run build` (npm ci)',
    ).toBe(true);
    for (const path of ['/', '/channels/alice']) {
      const res = await request('GET', path, { token: null });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-security-policy']).toMatch(
        /default-src 'self'.*frame-ancestors 'none'/,
      );
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
    }
  });

  it('never writes a secret to a log line or an API answer', async () => {
    const answers: string[] = [];
    for (const path of [
      '/api/v1/channels',
      '/api/v1/targets',
      '/api/v1/events?limit=1000',
      '/api/v1/streams/active',
      '/api/v1/users',
      '/api/v1/tokens',
      '/metrics',
    ])
      answers.push((await request('GET', path)).body);
    for (const target of [
      'hook',
      'hook-down',
      'ntfy',
      'ntfy-basic',
      'telegram',
      'discord',
      'matrix',
    ])
      answers.push((await request('GET', `/api/v1/targets/${target}/deliveries`)).body);
    const secrets = [...Object.values(SECRETS), helix.userToken, ...issued];
    const leaks = secrets.flatMap((s) => [
      ...lines.filter((l) => l.includes(s)).map((l) => `log: ${l.slice(0, 300)}`),
      // The CDN path token in a channel's own URL is the known gap below.
      ...(s === SECRETS.cdnPath
        ? []
        : answers.filter((a) => a.includes(s)).map((a) => `api: ${s} in ${a.slice(0, 200)}`)),
    ]);
    const errors = lines.filter((l) => /"level":(40|50)/.test(l)).length;
    recordFigures('attacks-secrets', {
      secrets: secrets.length,
      logLines: lines.length,
      warnOrErrorLines: errors,
      apiAnswers: answers.length,
      leaks: leaks.length,
    });
    expect(leaks).toEqual([]);
    expect(lines.length).toBeGreaterThan(40);
    // The failure paths ran (refused connections to every notifier), so URLs with secrets were logged about.
    expect(lines.some((l) => l.includes('ECONNREFUSED'))).toBe(true);
  });

  // Channel and event views redact a stream channel URL's query, user info and token-looking path
  // segments (e.g. nginx secure_link's `/t/<md5>/…`), so no reader of the API sees the token.
  it('keeps a CDN token in the path of a stream channel URL out of API answers', async () => {
    for (const path of ['/api/v1/channels', '/api/v1/events?limit=1000'])
      expect((await request('GET', path)).body).not.toContain(SECRETS.cdnPath);
  });
});
