import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ConfigError } from '../../src/config/load.js';
import { parsePlaylist } from '../../src/core/hls/playlist.js';
import { collectUris, playlistVariables, rewritePlaylist } from '../../src/core/hls/rewrite.js';
import { listRoutes } from '../../src/http/auth.js';
import { loadOnairConfig } from '../../src/main.js';
import { ADMIN_TOKEN, removeDir, startTestOnair, type TestOnair } from '../e2e/harness.js';
import { FakeOwncast } from '../fake-servers/owncast.server.js';
import { WebhookReceiver } from '../fake-servers/webhook-receiver.server.js';
import { recordFigures } from './serve-process.js';

/** Per route; with about 70 routes (HEAD and OPTIONS included) some 7,000 requests, seconds in process. */
const RUNS_PER_ROUTE = 100;
const SLOW_MS = 5_000;

/**
 * Strings that have broken parsers elsewhere: traversal, encodings, NULs, huge and unicode. URLs
 * only ever point at this machine (a closed port, or the fake), so fuzzing reaches nothing beyond it.
 */
const nasty = fc.constantFrom(
  '',
  ' ',
  '..',
  '../../etc/passwd',
  '%2e%2e%2f',
  '\u0000',
  'a\u0000b',
  '💥',
  'a'.repeat(10_000),
  '-1',
  '0',
  '1e309',
  'NaN',
  'null',
  'true',
  '[]',
  '{}',
  '__proto__',
  'constructor',
  'http://127.0.0.1:1/x',
  'file:///etc/passwd',
  'javascript:alert(1)',
  '{{channel.name}}{{#each}}',
  '1s',
  '-5m',
  '99999999999h',
  'alice',
  'hook',
  'admin',
  'owncast',
  'webhook',
  'live',
);
const scalar = fc.oneof(
  nasty,
  fc.string({ maxLength: 40 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
);
const FIELDS = [
  'id',
  'platform',
  'url',
  'name',
  'interval',
  'notify',
  'type',
  'target',
  'events',
  'onOffline',
  'template',
  'webhookSecret',
  'secret',
  'headers',
  'title',
  'start',
  'end',
  'channel',
  'ttl',
  'ttlMs',
  'reason',
  'permissions',
  'allowedIps',
  'token',
  'user',
  'expiresIn',
  'summary',
  'description',
  'rateLimit',
  'status',
  'limit',
  '__proto__',
  'constructor',
];
const value: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(fc.constantFrom(...FIELDS), tie('v'), { maxKeys: 5 }),
  ),
})).v;
/** Bodies that look like what routes expect (known field names), and anything JSON at all. */
const body = fc.oneof(
  fc.dictionary(fc.constantFrom(...FIELDS), value, { maxKeys: 8 }),
  fc.jsonValue({ maxDepth: 3 }),
  value,
);
type Payload =
  | { readonly kind: 'json'; readonly value: unknown }
  | { readonly kind: 'raw'; readonly text: string; readonly type: string };
const payload: fc.Arbitrary<Payload> = fc.oneof(
  { weight: 4, arbitrary: body.map((v): Payload => ({ kind: 'json', value: v })) },
  fc.record({
    kind: fc.constant('raw' as const),
    text: fc.oneof(
      fc.string({ maxLength: 200 }),
      nasty,
      fc.constantFrom('{"id":', '{"a":1}}', '\u0000{}'),
    ),
    type: fc.constantFrom(
      'application/json',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/json; charset=latin1',
    ),
  }),
);
const query = fc.dictionary(
  fc.oneof(
    fc.constantFrom(
      'limit',
      'channel',
      'status',
      'from',
      'to',
      't',
      'since',
      '_HLS_msn',
      'q',
      '__proto__',
    ),
    fc.string({ maxLength: 8 }),
  ),
  fc.oneof(nasty, fc.string({ maxLength: 30 })),
  { maxKeys: 4 },
);
const segment = fc.oneof(nasty, fc.string({ minLength: 1, maxLength: 30 }));

interface Figures {
  requests: number;
  byStatus: Record<string, number>;
  slowest: number;
}

/** Every route of the running app, fuzzed in its path, query and body: 4xx or success, never 5xx or a hang. */
describe('bad input: property-based fuzzing', () => {
  let owncast: FakeOwncast;
  let receiver: WebhookReceiver;
  let t: TestOnair;
  const figures: Figures = { requests: 0, byStatus: {}, slowest: 0 };

  beforeAll(async () => {
    owncast = await FakeOwncast.start();
    receiver = await WebhookReceiver.start();
    t = await startTestOnair({
      auth: { adminToken: ADMIN_TOKEN, failedAuth: { maxFailures: 1_000_000 } },
      targets: [{ id: 'hook', type: 'webhook', url: receiver.url }],
      channels: [{ id: 'alice', platform: 'owncast', url: owncast.url, notify: ['hook'] }],
    });
  });
  afterAll(async () => {
    await t.stop();
    await owncast.close();
    await receiver.close();
    removeDir(t.dir);
  });

  it('answers every route of the app with a 4xx or a success', async () => {
    // The event stream is endless by design; it gets its own bounded test in the attack suite.
    const routes = listRoutes(t.onair.http).filter((r) => r.url !== '/api/v1/events/stream');
    const failures: string[] = [];
    for (const route of routes) {
      await fc
        .assert(
          fc.asyncProperty(
            fc.array(segment, { minLength: 4, maxLength: 4 }),
            query,
            payload,
            fc.boolean(),
            async (segments, q, p, authorised) => {
              let i = 0;
              const path = route.url.replace(/:[A-Za-z]+|\*/g, (m) =>
                m === '*'
                  ? segments.map(encodeURIComponent).join('/')
                  : encodeURIComponent(segments[i++ % 4]!),
              );
              const search = new URLSearchParams(q).toString();
              const url = `${path}${search === '' ? '' : `?${search}`}`;
              const headers: Record<string, string> = authorised
                ? { authorization: `Bearer ${ADMIN_TOKEN}` }
                : {};
              const hasBody = !['GET', 'HEAD', 'OPTIONS', 'DELETE'].includes(route.method);
              if (hasBody)
                headers['content-type'] = p.kind === 'json' ? 'application/json' : p.type;
              const started = Date.now();
              const res = await Promise.race([
                t.onair.http.inject({
                  method: route.method as 'GET',
                  url,
                  headers,
                  ...(hasBody
                    ? { payload: p.kind === 'json' ? JSON.stringify(p.value) : p.text }
                    : {}),
                }),
                new Promise<never>((_, reject) =>
                  setTimeout(() => {
                    reject(new Error(`hang: ${route.method} ${url}`));
                  }, SLOW_MS),
                ),
              ]);
              const took = Date.now() - started;
              figures.requests++;
              figures.slowest = Math.max(figures.slowest, took);
              const klass = `${Math.floor(res.statusCode / 100)}xx`;
              figures.byStatus[klass] = (figures.byStatus[klass] ?? 0) + 1;
              if (res.statusCode >= 500)
                failures.push(
                  `${route.method} ${url} ${JSON.stringify(p).slice(0, 300)} → ${res.statusCode} ${res.body.slice(0, 200)}`,
                );
              return res.statusCode < 500;
            },
          ),
          {
            numRuns: RUNS_PER_ROUTE,
            seed: Number(process.env['ONAIR_FUZZ_SEED'] ?? Date.now() % 1_000_000),
            endOnFailure: true,
          },
        )
        .catch((error: unknown) => {
          failures.push(String(error).split('\n').slice(0, 4).join(' '));
        });
    }
    recordFigures('fuzz-routes', { routes: routes.length, ...figures });
    expect(failures).toEqual([]);
    expect(routes.length).toBeGreaterThan(30);
    // Still healthy afterwards (the fuzzer may well have deleted `alice`: that is a valid request).
    expect((await t.api('GET', '/healthz')).status).toBe(200);
    expect((await t.api('GET', '/api/v1/channels')).status).toBe(200);
  }, 180_000);

  it('loads any config file and environment to a config or a ConfigError naming the problem', () => {
    const dir = mkdtempSync(join(tmpdir(), 'onair-fuzz-config-'));
    const file = join(dir, 'onair.yaml');
    const sections = fc.constantFrom(
      'server',
      'dataDir',
      'store',
      'jobs',
      'poll',
      'policy',
      'delivery',
      'auth',
      'keepalives',
      'refresh',
      'extractors',
      'log',
      'targets',
      'channels',
      'schedules',
      'twitch',
      'nonsense',
    );
    const document = fc.oneof(
      fc.dictionary(sections, value, { maxKeys: 6 }).map((doc) => stringify(doc)),
      fc.string({ maxLength: 300 }),
      fc.constantFrom(
        '{',
        ': :',
        '- - -',
        '&a [*a]',
        '!!js/function "x"',
        'a: &x\n  b: *x',
        '\t- x',
        'channels: !!binary AAA=',
      ),
    );
    const env = fc.dictionary(
      fc.constantFrom(
        'ONAIR_POLL_INTERVAL',
        'ONAIR_SERVER_PORT',
        'ONAIR_ADMIN_TOKEN',
        'ONAIR_LOG_LEVEL',
        'ONAIR_DELIVERY_MAX_ATTEMPTS',
        'ONAIR_AUTH_ADMIN_TOKEN_FILE',
        'ONAIR_NOPE',
      ),
      fc.oneof(nasty, fc.string({ maxLength: 20 })),
      { maxKeys: 3 },
    );
    let tried = 0;
    let accepted = 0;
    try {
      fc.assert(
        fc.property(document, env, (text, vars) => {
          tried++;
          writeFileSync(file, text);
          try {
            loadOnairConfig(file, { ...vars, ONAIR_DATA_DIR: join(dir, 'data') });
            accepted++;
          } catch (error) {
            if (!(error instanceof ConfigError)) throw error;
            expect(error.message.length).toBeGreaterThan(0);
          }
        }),
        { numRuns: 600 },
      );
    } finally {
      removeDir(dir);
    }
    recordFigures('fuzz-config', { tried, accepted, refusedWithConfigError: tried - accepted });
  });

  it('rewrites any playlist without throwing, and no upstream URL stays in it', () => {
    const host = 'origin.test';
    const uri = fc.oneof(
      fc.constantFrom(
        'seg.ts',
        '../up.ts',
        '/abs.ts',
        `http://${host}/a.ts`,
        `https://${host}:8443/b.m3u8?x=1`,
        `//${host}/c.ts`,
        'file:///etc/passwd',
        'data:,x',
        'skd://k',
        'a b.ts',
        '{$v}.ts',
        '{$missing}/x',
        'http://[::1',
        'http://127.0.0.1:1/',
      ),
      fc.string({ maxLength: 20 }).filter((s) => !s.includes('#') && !/[\r\n]/.test(s)),
    );
    const attr = (name: string) => uri.map((u) => `${name}="${u}"`);
    const line = fc.oneof(
      uri,
      fc.constantFrom(
        '#EXTM3U',
        '#EXT-X-TARGETDURATION:2',
        '#EXT-X-MEDIA-SEQUENCE:7',
        '#EXT-X-MEDIA-SEQUENCE:-1e9',
        '#EXTINF:2,',
        '#EXT-X-ENDLIST',
        '#EXT-X-STREAM-INF:BANDWIDTH=1',
        '#EXT-X-STREAM-INF:',
        '#EXT-X-SKIP:SKIPPED-SEGMENTS=3',
        '#EXT-X-DEFINE:NAME="v",VALUE="seg"',
        '#EXT-X-DEFINE:QUERYPARAM="token"',
        '#EXT-X-DEFINE:IMPORT="v"',
        '#EXT-X-DEFINE:',
      ),
      attr('#EXT-X-MEDIA:TYPE=AUDIO,URI'),
      attr('#EXT-X-KEY:METHOD=AES-128,URI'),
      attr('#EXT-X-MAP:URI'),
      attr('#EXT-X-PART:DURATION=1,URI'),
      attr('#EXT-X-PRELOAD-HINT:TYPE=PART,URI'),
      attr('#EXT-X-RENDITION-REPORT:URI'),
      attr('#EXT-X-I-FRAME-STREAM-INF:URI'),
      attr('#EXT-X-SESSION-DATA:DATA-ID="x",URI'),
      fc.string({ maxLength: 40 }).filter((s) => !s.includes(host)),
    );
    let tried = 0;
    fc.assert(
      fc.property(
        fc.array(line, { maxLength: 30 }),
        fc.constantFrom('\n', '\r\n'),
        (lines, eol) => {
          tried++;
          const text = lines.join(eol);
          const base = `https://${host}/live/index.m3u8?token=abc`;
          const out = rewritePlaylist(
            text,
            base,
            (ref) => `proxied?t=${Buffer.from(ref.url).toString('base64url')}`,
            { imports: new Map([['v', 'imp']]) },
          );
          collectUris(text, base);
          playlistVariables(text, base);
          parsePlaylist(text);
          // Every URI that resolves to the origin went through the mapper: the host is gone.
          expect(out).not.toContain(host);
        },
      ),
      { numRuns: 3_000 },
    );
    recordFigures('fuzz-playlist', { tried });
  });
});
