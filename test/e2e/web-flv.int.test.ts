import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Onair } from '../../src/main.js';
import { listen, type Running } from '../fake-servers/listen.js';
import { ARTIFACTS, WEB_TOKEN, launchChromium, startWebOnair } from './web-peers.js';

/** The part of HTMLVideoElement the checks read (the test's tsconfig has no DOM library). */
interface Media {
  readonly currentTime: number;
}

const peersInstalled = ['/usr/bin/ffmpeg', '/usr/bin/chromium'].every((p) => existsSync(p));

/**
 * A live HTTP-FLV source: every client of `/live.flv` gets its own `ffmpeg -re` encoding a test
 * pattern to FLV on stdout, stopped by its PID when the client leaves.
 */
async function startLiveFlv(): Promise<Running> {
  const children = new Set<ChildProcess>();
  const running = await listen((req, res) => {
    if (!(req.url ?? '').startsWith('/live.flv')) {
      res.writeHead(404).end();
      return;
    }
    // prettier-ignore
    const child = spawn('ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-nostdin',
      '-re', '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25', '-re', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p', '-g', '25',
      '-c:a', 'aac', '-f', 'flv', 'pipe:1',
    ], { stdio: ['ignore', 'pipe', 'ignore'] });
    children.add(child);
    res.writeHead(200, { 'content-type': 'video/x-flv' });
    child.stdout.pipe(res);
    const stop = () => {
      if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    };
    res.on('close', stop);
    child.on('exit', () => {
      children.delete(child);
      res.end();
    });
  });
  return {
    ...running,
    async close() {
      for (const child of children) if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
      await running.close();
    },
  };
}

/** An HTTP-FLV channel in the web player (issue 18, item 4): mpegts.js plays the proxied FLV. */
describe.skipIf(!peersInstalled)('web player: an HTTP-FLV channel in Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'onair-web-flv-'));
  let source: Running | undefined;
  let onair: Onair | undefined;
  let browser: BrowserContext | undefined;
  let page: Page;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    source = await startLiveFlv();
    onair = await startWebOnair(dir, {
      poll: { interval: '2s', timeout: '5s' },
      channels: [{ id: 'flvcam', platform: 'flv', url: `${source.url}/live.flv`, name: 'FLV cam' }],
    });
    browser = await launchChromium(join(dir, 'profile'));
    page = browser.pages()[0] ?? (await browser.newPage());
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await onair?.stop();
    await source?.close();
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('plays the FLV channel through the proxy with mpegts.js: currentTime advances', async () => {
    const base = onair!.url!;
    const proxied: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/api/v1/proxy/')) proxied.push(r.url());
    });
    await page.goto(`${base}/`);
    await page.getByLabel('Token').fill(WEB_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await page.locator('[data-channel="flvcam"] [data-status="live"]').waitFor({ timeout: 30_000 });
    await page.goto(`${base}/watch?channels=flvcam&layout=1x1`);
    const video = page.locator('[data-tile] video').first();
    const time = () => video.evaluate((v) => (v as unknown as Media).currentTime);
    await expect.poll(time, { timeout: 30_000, interval: 500 }).toBeGreaterThan(0);
    const before = await time();
    await expect.poll(time, { timeout: 15_000, interval: 500 }).toBeGreaterThan(before + 1.5);
    expect(await page.locator('[data-tile] .player').first().getAttribute('data-state')).toBe(
      'playing',
    );
    // One FLV stream through onair's proxy, never the origin.
    expect(proxied.some((u) => new URL(u).pathname === '/api/v1/proxy/live.flv')).toBe(true);
    expect(proxied.every((u) => new URL(u).origin === base)).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'web-flv.png') });
  }, 120_000);
});
