import { describe, expect, it } from 'vitest';
import { parseExpiry, refreshAt, type TokenShape } from './expiry.js';
import { redactStreamUrl } from './redact-path.js';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const S = Math.floor(NOW / 1000) + 600; // ten minutes ahead, in epoch seconds
const AT = S * 1000;
const b64url = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const cloudFrontB64 = (o: unknown) =>
  Buffer.from(JSON.stringify(o))
    .toString('base64')
    .replace(/\+/g, '-')
    .replace(/=/g, '_')
    .replace(/\//g, '~');
const policy = cloudFrontB64({
  Statement: [
    {
      Resource: 'https://d1.cloudfront.net/*',
      Condition: { DateLessThan: { 'AWS:EpochTime': S } },
    },
  ],
});
const jwt = `${b64url({ alg: 'HS256' })}.${b64url({ sub: 'x', exp: S })}.c2ln`;
/** Cloudflare Stream's signed-URL token: RS256 with the key id, `sub` the video id. */
const streamJwt = `${b64url({ alg: 'RS256', kid: 'k1' })}.${b64url({ sub: 'ea95132c15732412d22c1476fa83f27a', kid: 'k1', exp: S })}.c2lnbmF0dXJl`;

describe('parseExpiry: each token shape of PROTOCOLS.md §7.2', () => {
  const cases: { name: string; url: string; at: number; shape: TokenShape }[] = [
    {
      name: 'nginx secure_link query (md5/expires)',
      url: `https://o.example/hls/i.m3u8?md5=Xk3abc&expires=${S}`,
      at: AT,
      shape: 'epoch-param',
    },
    {
      name: 'nginx secure_link query (st/e)',
      url: `https://o.example/hls/i.m3u8?st=abc&e=${S}`,
      at: AT,
      shape: 'epoch-param',
    },
    {
      name: 'nginx secure_link in the path',
      url: `https://o.example/p/Xk3QaBcDeFgHiJkLmN12,${S}/i.m3u8`,
      at: AT,
      shape: 'secure-link-path',
    },
    {
      name: 'Akamai __token__',
      url: `https://a.example/i.m3u8?__token__=st=${S - 600}~exp=${S}~acl=/*~hmac=ab12`,
      at: AT,
      shape: 'akamai',
    },
    {
      name: 'Akamai hdnts',
      url: `https://a.example/i.m3u8?hdnts=exp=${S}~acl=/live/*!/vod/*~hmac=ab12`,
      at: AT,
      shape: 'akamai',
    },
    {
      name: 'Akamai hdnea',
      url: `https://a.example/i.m3u8?hdnea=ip=1.2.3.4~exp=${S}~hmac=ab`,
      at: AT,
      shape: 'akamai',
    },
    {
      name: 'CloudFront canned',
      url: `https://d1.cloudfront.net/i.m3u8?Expires=${S}&Signature=abc&Key-Pair-Id=K1`,
      at: AT,
      shape: 'epoch-param',
    },
    {
      name: 'CloudFront custom policy',
      url: `https://d1.cloudfront.net/i.m3u8?Policy=${policy}&Signature=abc&Key-Pair-Id=K1`,
      at: AT,
      shape: 'cloudfront-policy',
    },
    {
      name: 'S3 SigV4',
      url: 'https://b.s3.amazonaws.com/i.m3u8?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20260301T120000Z&X-Amz-Expires=600&X-Amz-Signature=ab',
      at: AT,
      shape: 's3-sigv4',
    },
    {
      name: 'S3 SigV2',
      url: `https://b.s3.amazonaws.com/i.m3u8?AWSAccessKeyId=AK&Expires=${S}&Signature=ab`,
      at: AT,
      shape: 'epoch-param',
    },
    {
      name: 'Google Cloud CDN',
      url: `https://g.example/i.m3u8?Expires=${S}&KeyName=k&Signature=ab`,
      at: AT,
      shape: 'epoch-param',
    },
    {
      name: 'GCS V4',
      url: 'https://storage.googleapis.com/b/i.m3u8?X-Goog-Date=20260301T120000Z&X-Goog-Expires=600&X-Goog-Signature=ab',
      at: AT,
      shape: 'goog-v4',
    },
    {
      name: 'Azure SAS',
      url: 'https://x.blob.core.windows.net/c/i.m3u8?sv=2022-11-02&st=2026-03-01T11:00:00Z&se=2026-03-01T12:10:00Z&sig=ab',
      at: AT,
      shape: 'azure-sas',
    },
    {
      name: 'Wowza SecureToken',
      url: `https://w.example/i.m3u8?wowzatokenendtime=${S}&wowzatokenhash=ab`,
      at: AT,
      shape: 'epoch-param',
    },
    {
      name: 'Wowza with a custom prefix',
      url: `https://w.example/i.m3u8?mytokenendtime=${S}&mytokenhash=ab`,
      at: AT,
      shape: 'epoch-param',
    },
    {
      name: 'Bilibili live',
      url: `https://b.example/live/i.m3u8?expires=${S}&sign=ab&sigparams=cdn,expires`,
      at: AT,
      shape: 'epoch-param',
    },
    {
      name: 'Bilibili VOD deadline',
      url: `https://upos.example/v.m4s?deadline=${S}&upsig=ab`,
      at: AT,
      shape: 'epoch-param',
    },
    { name: 'JWT token=', url: `https://j.example/i.m3u8?token=${jwt}`, at: AT, shape: 'jwt' },
    { name: 'JWT jwt=', url: `https://j.example/i.m3u8?jwt=${jwt}`, at: AT, shape: 'jwt' },
    // Google Media CDN (cloud.google.com/media-cdn/docs/generate-tokens, generate-signatures).
    {
      name: 'Media CDN token as a query parameter (~-separated, HMAC)',
      url: `https://media.example.com/video/master.m3u8?edge-cache-token=Expires=${S}~PathGlobs=/video/*~hmac=0b3e1dc1d2f5`,
      at: AT,
      shape: 'media-cdn',
    },
    {
      name: 'Media CDN token with URLPrefix first and an Ed25519 Signature',
      url: `https://media.example.com/video/master.m3u8?edge-cache-token=URLPrefix=aHR0cHM6Ly9tZWRpYS5leGFtcGxlLmNvbS92aWRlbw~Expires=${S}~Signature=c2ln`,
      at: AT,
      shape: 'media-cdn',
    },
    {
      name: 'Media CDN signed path component (&-separated, relative URIs inherit it)',
      url: `https://media.example.com/video/edge-cache-token=Expires=${S}&KeyName=prod-key&Signature=c2ln/manifest_12382131.m3u8`,
      at: AT,
      shape: 'media-cdn',
    },
    // Fastly token validation (github.com/fastly/token-functions): `token=<expires>_<hex HMAC>`.
    {
      name: 'Fastly token',
      url: `https://www.example.com/foo/bar.m3u8?token=${S}_a6cbe4fab2f574d4d58436fa4b44bdbf765b2674`,
      at: AT,
      shape: 'fastly',
    },
    // Cloudflare Stream (developers.cloudflare.com/stream/viewing-videos/securing-your-stream).
    {
      name: 'Cloudflare Stream signed token in place of the video id',
      url: `https://customer-f33zs165nr7gyfy4.cloudflarestream.com/${streamJwt}/manifest/video.m3u8`,
      at: AT,
      shape: 'jwt-path',
    },
    {
      name: 'generic exp (seconds)',
      url: `https://x.example/i.m3u8?exp=${S}`,
      at: AT,
      shape: 'epoch-param',
    },
    {
      name: 'generic expire',
      url: `https://x.example/i.m3u8?expire=${S}`,
      at: AT,
      shape: 'epoch-param',
    },
    {
      name: 'generic validto',
      url: `https://x.example/i.m3u8?validto=${S}`,
      at: AT,
      shape: 'epoch-param',
    },
    {
      name: 'generic milliseconds (13 digits)',
      url: `https://x.example/i.m3u8?expires=${AT + 123}`,
      at: AT + 123,
      shape: 'epoch-param',
    },
  ];
  it.each(cases)('$name', ({ url, at, shape }) => {
    expect(parseExpiry(url, NOW)).toEqual({ at, shape });
  });

  it('takes the earliest of several expiries', () => {
    expect(parseExpiry(`https://x.example/i.m3u8?expires=${S}&exp=${S - 60}`, NOW)?.at).toBe(
      AT - 60_000,
    );
  });

  it.each([
    ['no token at all', 'https://x.example/live/i.m3u8'],
    ['a number that is not 10 or 13 digits', 'https://x.example/i.m3u8?expires=12345'],
    [
      'beyond a year ahead (some other number)',
      `https://x.example/i.m3u8?expires=${S + 2 * 365 * 86_400}`,
    ],
    ['more than a day in the past', `https://x.example/i.m3u8?expires=${S - 3 * 86_400}`],
    [
      'a JWT without exp',
      `https://j.example/i.m3u8?token=${b64url({ alg: 'none' })}.${b64url({ sub: 'x' })}.x`,
    ],
    ['a garbage JWT', 'https://j.example/i.m3u8?token=eyJnot-json.also-not.x'],
    ['a garbage policy', 'https://d1.cloudfront.net/i.m3u8?Policy=bm9wZQ__'],
    [
      'a Media CDN token without Expires',
      'https://m.example/v.m3u8?edge-cache-token=PathGlobs=/*~hmac=ab',
    ],
    [
      'a Media CDN token whose Expires is not an epoch',
      'https://m.example/edge-cache-token=Expires=soon&Signature=ab/v.m3u8',
    ],
    ['a token=<number>_<non-hex>', `https://f.example/v.m3u8?token=${S}_not-a-signature`],
    ['a token=<short number>_<hex>', 'https://f.example/v.m3u8?token=12345_a6cbe4fab2f574d4d5'],
    [
      'a JWT path segment without exp',
      `https://c.example/${b64url({ alg: 'RS256' })}.${b64url({ sub: 'x' })}.c2ln/manifest/video.m3u8`,
    ],
    ['a dotted path segment that is no JWT', 'https://c.example/eyJnot.json.x/manifest/video.m3u8'],
    [
      'a bad X-Amz-Date',
      'https://b.s3.amazonaws.com/i.m3u8?X-Amz-Date=yesterday&X-Amz-Expires=600',
    ],
    ['a timestamp-looking path segment without a hash', `https://x.example/archive/${S}/i.m3u8`],
    ['not a URL', 'not a url'],
  ])('returns null for %s', (_name, url) => {
    expect(parseExpiry(url, NOW)).toBeNull();
  });

  it('accepts an expiry a little in the past (refresh at once)', () => {
    expect(parseExpiry(`https://x.example/i.m3u8?expires=${S - 1200}`, NOW)?.at).toBe(
      NOW - 600_000,
    );
  });
});

describe('refreshAt', () => {
  it.each([
    ['an hour ahead: 10 % before', 3_600_000, 3_240_000],
    ['five minutes ahead: the 60 s minimum margin', 300_000, 240_000],
    ['20 s ahead: half the lifetime, never a loop', 20_000, 10_000],
    ['already expired: now', -5_000, 0],
  ])('%s', (_name, ahead, expected) => {
    expect(refreshAt(NOW + ahead, NOW) - NOW).toBe(expected);
  });
});

describe('redactStreamUrl', () => {
  it.each([
    [
      'a secure_link token in the path',
      'http://o.example/t/Xk3QaBcDeFgHiJkLmN12/1767225600/live/index.m3u8',
      'http://o.example/t/REDACTED/1767225600/live/index.m3u8',
    ],
    [
      'the comma form',
      'http://o.example/p/Xk3QaBcDeFgHiJkLmN12,1767225600/i.m3u8',
      'http://o.example/p/REDACTED/i.m3u8',
    ],
    [
      'query secrets too',
      'http://o.example/live/i.m3u8?token=abc&x=1',
      'http://o.example/live/i.m3u8?token=REDACTED&x=1',
    ],
    [
      'a Cloudflare Stream JWT segment',
      `https://customer-x.cloudflarestream.com/${streamJwt}/manifest/video.m3u8`,
      'https://customer-x.cloudflarestream.com/REDACTED/manifest/video.m3u8',
    ],
    [
      'a Media CDN signed path component',
      `https://m.example/video/edge-cache-token=Expires=${S}&KeyName=k&Signature=c2ln/manifest.m3u8`,
      'https://m.example/video/REDACTED/manifest.m3u8',
    ],
    [
      'a malformed escape in the path (hidden, not a crash)',
      'https://m.example/video/%E0%A4%A/manifest.m3u8',
      'https://m.example/video/REDACTED/manifest.m3u8',
    ],
    [
      'plain names kept',
      'http://o.example/live/720p/seg_00001.ts',
      'http://o.example/live/720p/seg_00001.ts',
    ],
  ])('%s', (_name, url, expected) => {
    expect(redactStreamUrl(url)).toBe(expected);
  });
});
