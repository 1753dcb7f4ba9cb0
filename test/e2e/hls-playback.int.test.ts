import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Running } from '../fake-servers/listen.js';
import {
  signLive,
  startLiveOrigin,
  startOnairProxy,
  startPageServer,
  stopNginx,
} from './hls-peers.js';

const LIFETIME_S = 20;
const PLAY_MS = 90_000;
const peersInstalled = ['/usr/bin/chromium', '/usr/bin/ffmpeg', '/usr/sbin/nginx'].every((p) =>
  existsSync(p),
);

interface Sample {
  readonly t: number;
  readonly currentTime: number;
  readonly fatal: number;
}

/** Samples `video.currentTime` every 250 ms for `ms`; returns the samples and the errors hls.js reported. */
async function watch(
  page: Page,
  ms: number,
): Promise<{
  samples: Sample[];
  errors: { details: string; fatal: boolean; code: number | null }[];
}> {
  const samples: Sample[] = [];
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const s = await page.evaluate<Sample>(
      '({ t: Date.now(), currentTime: document.getElementById("v").currentTime, fatal: window.__errors.filter((e) => e.fatal).length })',
    );
    samples.push(s);
    await new Promise((r) => setTimeout(r, 250));
  }
  const errors =
    await page.evaluate<{ details: string; fatal: boolean; code: number | null }[]>(
      'window.__errors',
    );
  return { samples, errors };
}

/** Longest time currentTime did not advance, counted from the first advance. */
function longestStallMs(samples: readonly Sample[]): number {
  let longest = 0;
  let lastMove: Sample | null = null;
  for (let i = 1; i < samples.length; i++) {
    if (samples[i]!.currentTime > samples[i - 1]!.currentTime) lastMove = samples[i]!;
    else if (lastMove) longest = Math.max(longest, samples[i]!.t - lastMove.t);
  }
  return longest;
}

describe.skipIf(!peersInstalled)(
  'hls.js in Chromium through the onair proxy, nginx tokens expiring every 20 s',
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'onair-hls-e2e-'));
    let ffmpeg: ChildProcess | undefined;
    let nginxPid: string | undefined;
    let onair: Awaited<ReturnType<typeof startOnairProxy>> | undefined;
    let pages: Running | undefined;
    let browser: BrowserContext | undefined;
    let nginxOrigin = '';

    beforeAll(async () => {
      ({ ffmpeg, nginxPidFile: nginxPid, origin: nginxOrigin } = await startLiveOrigin(dir));
      onair = await startOnairProxy(dir, nginxOrigin, LIFETIME_S);
      pages = await startPageServer();
      browser = await chromium.launchPersistentContext(join(dir, 'profile'), {
        executablePath: '/usr/bin/chromium',
        headless: true,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          '--autoplay-policy=no-user-gesture-required',
        ],
      });
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await pages?.close();
      await onair?.stop();
      if (nginxPid) stopNginx(nginxPid);
      if (ffmpeg?.pid !== undefined && ffmpeg.exitCode === null) {
        const exited = new Promise((r) => ffmpeg!.once('exit', r));
        ffmpeg.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    }, 30_000);

    it(
      'plays through the proxy for 90 s across at least four token expiries without a stall over 2 s; the raw URL fails',
      async () => {
        const playback = await fetch(`${onair!.url}/api/v1/channels/cam/playback`);
        expect(playback.status).toBe(200);
        const { master } = (await playback.json()) as { master: string };
        expect(master).not.toContain('/t/');

        const proxied = await browser!.newPage();
        const raw = await browser!.newPage();
        await proxied.goto(`${pages!.url}/?src=${encodeURIComponent(master)}`);
        await raw.goto(
          `${pages!.url}/?src=${encodeURIComponent(signLive(nginxOrigin, LIFETIME_S).url)}`,
        );
        // Both play side by side: the negative twin differs only in its source URL.
        const [viaProxy, direct] = await Promise.all([
          watch(proxied, PLAY_MS),
          watch(raw, PLAY_MS),
        ]);

        const first = viaProxy.samples.find((s) => s.currentTime > 0)!;
        const last = viaProxy.samples[viaProxy.samples.length - 1]!;
        expect(first, 'the proxied player started').toBeDefined();
        expect(first.t - viaProxy.samples[0]!.t).toBeLessThan(15_000);
        expect(last.currentTime - first.currentTime).toBeGreaterThan((last.t - first.t) / 1000 - 3);
        expect(longestStallMs(viaProxy.samples)).toBeLessThanOrEqual(2_000);
        expect(viaProxy.errors.filter((e) => e.fatal)).toEqual([]);

        const active = (await (await fetch(`${onair!.url}/api/v1/streams/active`)).json()) as {
          channelId: string;
          refreshCount: number;
          generation: number;
        }[];
        const cam = active.find((a) => a.channelId === 'cam')!;
        // 90 s of 20-s tokens: the URL was replaced at least four times.
        expect(cam.refreshCount).toBeGreaterThanOrEqual(4);

        // The twin on the raw tokenized URL: 410s, then a fatal error, and its clock stops.
        const rawLast = direct.samples[direct.samples.length - 1]!;
        const why = JSON.stringify(direct.errors.slice(0, 5));
        expect(
          direct.errors.some((e) => e.code === 410 || e.code === 403),
          why,
        ).toBe(true);
        expect(rawLast.fatal > 0 || longestStallMs(direct.samples) > 10_000, why).toBe(true);
        expect(rawLast.currentTime).toBeLessThan(last.currentTime - 30);
      },
      PLAY_MS + 60_000,
    );
  },
);
