import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { listen, type Running } from '../fake-servers/listen.js';
import { startProxyStack, urisIn } from './hls-proxy-stack.js';

/**
 * A hostile origin (127.0.0.1, the channel's own origin): its playlist lists a canary server on
 * another loopback port, the cloud metadata address, a name that resolves to loopback, a redirect
 * to the canary, and a "segment" that answers text/html with script.
 */
describe('HLS proxy trust boundary: a hostile origin cannot make onair fetch inside', () => {
  let canary: Running;
  let hostile: Running;
  let canaryHits: string[] = [];
  const canaryPort = () => new URL(canary.url).port;

  beforeAll(async () => {
    canary = await listen((req, res) => {
      canaryHits.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'video/mp2t' }).end('secret');
    });
    hostile = await listen((req, res) => {
      const path = req.url ?? '';
      if (path === '/live/index.m3u8') {
        res.writeHead(200, { 'content-type': 'application/vnd.apple.mpegurl' });
        res.end(
          [
            '#EXTM3U',
            '#EXT-X-TARGETDURATION:2',
            '#EXTINF:2,',
            `http://127.0.0.1:${canaryPort()}/internal.ts`,
            '#EXTINF:2,',
            'http://169.254.169.254/latest/meta-data/iam.ts',
            '#EXTINF:2,',
            `http://localhost:${canaryPort()}/by-name.ts`,
            '#EXTINF:2,',
            'redirect.ts',
            '#EXTINF:2,',
            'page.ts',
            '#EXTINF:2,',
            'ok.ts',
            '',
          ].join('\n'),
        );
        return;
      }
      if (path.startsWith('/live/redirect.ts')) {
        res.writeHead(302, { location: `http://127.0.0.1:${canaryPort()}/redirected.ts` }).end();
        return;
      }
      if (path.startsWith('/live/page.ts')) {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<script>fetch("/api/v1/tokens")</script>');
        return;
      }
      if (path.startsWith('/live/ok.ts')) {
        res.writeHead(200, { 'content-type': 'video/mp2t' }).end('media');
        return;
      }
      res.writeHead(404).end();
    });
  });
  afterAll(async () => {
    await canary.close();
    await hostile.close();
  });
  beforeEach(() => {
    canaryHits = [];
  });

  async function segments(options: { allowAddresses?: string[]; channelUrl?: string } = {}) {
    const stack = await startProxyStack({
      streamUrl: `${hostile.url}/live/index.m3u8`,
      perChannelMaxBytes: 0,
      ...options,
    });
    const variant = await stack.variantPath();
    const playlist = await stack.get(variant);
    expect(playlist.statusCode).toBe(200);
    const [internal, metadata, byName, redirect, page, ok] = urisIn(playlist.body, variant);
    return { stack, internal, metadata, byName, redirect, page, ok };
  }

  it('refuses loopback, metadata, a loopback name and a redirect to loopback: the canary sees nothing', async () => {
    const s = await segments();
    try {
      for (const path of [s.internal, s.metadata, s.byName, s.redirect]) {
        const res = await s.stack.get(path!);
        expect(res.statusCode, path).toBe(502);
        expect(res.headers['x-content-type-options']).toBe('nosniff');
      }
      expect(canaryHits).toEqual([]);
      // The channel's own origin (same scheme, host and port as the URL the extractor resolved) still works.
      const ok = await s.stack.get(s.ok!);
      expect(ok.statusCode).toBe(200);
      expect(ok.body).toBe('media');
    } finally {
      await s.stack.stop();
    }
  });

  it("serves what an origin calls text/html with onair's type, nosniff and a sandbox", async () => {
    const s = await segments();
    try {
      const res = await s.stack.get(s.page!);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('video/mp2t');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['content-security-policy']).toBe('sandbox');
      const playlist = await s.stack.get(await s.stack.variantPath());
      expect(playlist.headers['content-type']).toBe('application/vnd.apple.mpegurl');
      expect(playlist.headers['content-security-policy']).toBe('sandbox');
    } finally {
      await s.stack.stop();
    }
  });

  it('negative twin: proxy.allowAddresses lets the listed address through (the refusal is the policy)', async () => {
    const s = await segments({ allowAddresses: ['127.0.0.0/8'] });
    try {
      expect((await s.stack.get(s.internal!)).statusCode).toBe(200);
      expect((await s.stack.get(s.byName!)).statusCode).toBe(200);
      expect((await s.stack.get(s.redirect!)).statusCode).toBe(200);
      expect(canaryHits.sort()).toEqual(['/by-name.ts', '/internal.ts', '/redirected.ts']);
    } finally {
      await s.stack.stop();
    }
  });

  it("negative twin: the channel's configured origin is trusted", async () => {
    const s = await segments({ channelUrl: `${canary.url}/` });
    try {
      expect((await s.stack.get(s.internal!)).statusCode).toBe(200);
      expect((await s.stack.get(s.redirect!)).statusCode).toBe(200);
      // Same host, other origin (a name, not the address): still refused.
      expect((await s.stack.get(s.byName!)).statusCode).toBe(502);
      expect(canaryHits.sort()).toEqual(['/internal.ts', '/redirected.ts']);
    } finally {
      await s.stack.stop();
    }
  });
});
