import { describe, expect, it } from 'vitest';
import { DiscordNotifier } from '../../src/adapters/notifiers/discord/discord.notifier.js';
import { MatrixNotifier } from '../../src/adapters/notifiers/matrix/matrix.notifier.js';
import { NtfyNotifier } from '../../src/adapters/notifiers/ntfy/ntfy.notifier.js';
import { TelegramNotifier } from '../../src/adapters/notifiers/telegram/telegram.notifier.js';
import { OwncastPlatform } from '../../src/adapters/platforms/owncast/owncast.platform.js';
import { clipHtml } from '../../src/core/messages/provider-text.js';
import type { Notification } from '../../src/core/notification.js';
import { redactUrl, redactUrlWithPath } from '../../src/core/redact.js';
import { recordingPath } from '../../src/core/recording/naming.js';
import { clipUnits, clipUtf8, trimTrailingSlashes, wellFormed } from '../../src/core/text.js';
import { isoOrNull, parseDuration } from '../../src/core/time.js';
import type { HttpClient } from '../../src/ports/http-client.js';

/**
 * Issue 22's hostile values, straight at the functions that met them: each input took the old
 * code seconds to hours (the test would time out) or produced a broken string.
 */
describe('hostile input (issue 22)', () => {
  it('probes an Owncast URL of 200,000 slashes without a quadratic trim', async () => {
    const asked: string[] = [];
    const http: HttpClient = {
      request: async (url) => {
        asked.push(url);
        return { ok: false, reason: 'network', error: 'refused' };
      },
    };
    const platform = new OwncastPlatform({ http, timeoutMs: 1_000, maxBytes: 1_000 });
    const url = `http://127.0.0.1:1/${'/'.repeat(200_000)}x`;
    await platform.probe(
      { id: 'c', platform: 'owncast', url, name: null, intervalMs: null, options: {} },
      { wasLive: false },
      AbortSignal.timeout(60_000),
    );
    expect(asked[0]).toBe(`${url}/api/status`);
    expect(trimTrailingSlashes(`http://h${'/'.repeat(200_000)}`)).toBe('http://h');
  });

  it('redacts 50,000 secret parameters in one pass, every one of them', () => {
    const query = Array.from({ length: 50_000 }, (_, i) => `sig${i}=s${i}`).join('&');
    const redacted = redactUrl(`https://cdn.example.org/live.m3u8?${query}`);
    expect(redacted).not.toMatch(/=s\d/);
    expect(redacted.match(/=REDACTED/g)?.length).toBe(50_000);
  });

  it('redacts credential-looking query names and webhook path secrets', () => {
    for (const name of [
      'access_token',
      'X-Amz-Signature',
      'hdnea',
      'wmsAuthSign',
      'api_key',
      'pwd',
      'code',
    ])
      expect(redactUrl(`https://e.org/x?${name}=leak`), name).not.toContain('leak');
    expect(redactUrl('https://e.org/x?page=2')).toContain('page=2');
    expect(redactUrlWithPath('https://hooks.slack.com/services/T0001/B0002/XXXXSECRET')).toBe(
      'https://hooks.slack.com/services/REDACTED/REDACTED/REDACTED',
    );
    expect(redactUrlWithPath('https://discord.com/api/webhooks/123/tok_en?wait=true')).toBe(
      'https://discord.com/api/webhooks/REDACTED/REDACTED?wait=true',
    );
  });

  it('bounds durations and shows any stored instant', () => {
    expect(parseDuration('1000000000d')).toBeUndefined();
    expect(parseDuration(`${'9'.repeat(400)}d`)).toBeUndefined();
    expect(parseDuration('36500d')).toBe(36_500 * 86_400_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration(`${'1'.repeat(100_000)}x`)).toBeUndefined();
    expect(isoOrNull(1_000_000_000 * 86_400_000)).toBeNull();
    expect(isoOrNull(Number.NaN)).toBeNull();
    expect(isoOrNull(0)).toBe('1970-01-01T00:00:00.000Z');
  });

  it('names recordings of emoji titles with whole characters, within the byte budget', () => {
    const title = '😀'.repeat(200);
    for (const template of [
      '{title}',
      '{channel}/{date}/{time}-{title}',
      '{title}{title}{title}/{title}',
    ]) {
      for (let part = 1; part <= 3; part++) {
        const path = recordingPath(
          template,
          { channel: '🎥'.repeat(150), platform: 'hls', title, startedAt: 0, session: 's', part },
          'ts',
        );
        expect(wellFormed(path), template).toBe(path);
        for (const segment of path.split('/'))
          expect(Buffer.byteLength(segment)).toBeLessThanOrEqual(200);
      }
    }
    // A lone surrogate from a platform does not reach the file system.
    const broken = recordingPath(
      '{title}',
      {
        channel: 'c',
        platform: 'hls',
        title: 'a\uD83Db',
        startedAt: 0,
        session: 's',
        part: 1,
      },
      'ts',
    );
    expect(broken).toBe('a\uFFFDb.ts');
  });

  it('clips on code points, never inside a pair', () => {
    expect(clipUnits('😀😀😀', 3, '')).toBe('😀');
    expect(clipUnits('😀😀😀', 5, '…')).toBe('😀😀…');
    expect(clipUtf8('é😀', 5)).toBe('é');
    expect(clipUtf8('abc', 10, '…')).toBe('abc');
    expect(wellFormed('\uDC00x\uD800')).toBe('\uFFFDx\uFFFD');
  });

  describe('notices with hostile titles', () => {
    const deps = {
      http: { request: () => Promise.reject(new Error('not sent')) },
      timeoutMs: 1_000,
      now: () => 0,
    };
    const notice = (title: string): Notification => ({
      id: 'n1',
      event: 'live',
      channel: { id: 'c', platform: 'owncast', url: 'https://live.example.org/c', name: 'C' },
      title,
      tags: [],
      startedAt: 0,
      at: 1_000,
    });
    const post = { action: { kind: 'post' as const }, templates: {} };
    const markup = `<b>bold</b> <a href="https://evil.example">x</a> &amp; ${'😀'.repeat(3_000)}`;

    it('Telegram: escaped HTML within 4,096 characters, never raw text with parse_mode', () => {
      const call = new TelegramNotifier(deps).render(
        notice(markup),
        { id: 't', type: 'telegram', options: { botToken: '1:x', chatId: '1', silent: false } },
        post,
      ) as unknown as { body: { text: string; parse_mode: string } };
      expect(call.body.parse_mode).toBe('HTML');
      expect(call.body.text.length).toBeLessThanOrEqual(4_096);
      expect(call.body.text).not.toContain('<b>');
      expect(call.body.text).not.toContain('href="https://evil');
      expect(call.body.text).toContain('&lt;b&gt;');
      expect(wellFormed(call.body.text)).toBe(call.body.text);
    });

    it('Discord: a Markdown link in a title is shown, not rendered', () => {
      const body = new DiscordNotifier(deps).render(
        notice('[free nitro](https://evil.example) **now**'),
        { id: 'd', type: 'discord', options: { url: 'https://discord.example/api/webhooks/1/t' } },
        post,
      ) as unknown as { body: { embeds: { description: string }[] } };
      const description = body.body.embeds[0]!.description;
      expect(description).toContain('\\[free nitro\\]\\(https://evil.example\\)');
      expect(description).not.toContain('[free nitro](');
    });

    it("Matrix and ntfy: within the providers' byte limits, cut on whole characters", () => {
      const matrix = new MatrixNotifier(deps).render(
        notice(markup.repeat(4)),
        {
          id: 'm',
          type: 'matrix',
          options: {
            homeserver: 'https://m.example',
            accessToken: 't',
            roomId: '!r:m.example',
            msgtype: 'm.notice',
          },
        },
        post,
      ) as unknown as { body: { body: string; formatted_body: string } };
      expect(Buffer.byteLength(JSON.stringify(matrix.body))).toBeLessThan(65_536);
      expect(wellFormed(matrix.body.body)).toBe(matrix.body.body);
      const ntfy = new NtfyNotifier(deps).render(
        notice(markup),
        { id: 'n', type: 'ntfy', options: { server: 'https://ntfy.example', topic: 't' } },
        post,
      ) as unknown as { body: { message: string } };
      expect(Buffer.byteLength(ntfy.body.message)).toBeLessThanOrEqual(4_096);
      expect(wellFormed(ntfy.body.message)).toBe(ntfy.body.message);
    });

    it('cuts HTML between entities and tags and closes an open link', () => {
      const html = `a &amp; <a href="https://x.example/${'p'.repeat(20)}">${'link text '.repeat(5)}</a> tail`;
      for (let max = 8; max < html.length; max++) {
        const cut = clipHtml(html, max, 'utf16');
        expect(cut.length, String(max)).toBeLessThanOrEqual(max);
        expect(cut).not.toMatch(/&[a-z]*…|<[^>]*…/);
        expect((cut.match(/<a /g) ?? []).length).toBe((cut.match(/<\/a>/g) ?? []).length);
      }
    });
  });
});
