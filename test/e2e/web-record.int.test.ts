import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Onair } from '../../src/main.js';
import type { Running } from '../fake-servers/listen.js';
import {
  ARTIFACTS,
  WEB_TOKEN,
  launchChromium,
  startLiveHls,
  startOrigin,
  startWebOnair,
  stopProcess,
  waitForFile,
} from './web-peers.js';

/**
 * Recording from the channel page in Debian's Chromium: a live ffmpeg HLS channel is recorded
 * with "Record now", shows a growing "Recording" badge, and stops with "Stop recording"; an
 * offline channel asked to record says it waits for the stream (no badge, no part).
 */

interface Part {
  status: string;
  bytes: number;
}

describe('web app: recording controls in Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'onair-web-record-'));
  let ffmpeg: ChildProcess | undefined;
  let origin: Running | undefined;
  let onair: Onair | undefined;
  let browser: BrowserContext | undefined;
  let page: Page;
  let base: string;

  const parts = async (channel: string) =>
    (await (
      await fetch(`${base}/api/v1/recordings?channel=${channel}`, {
        headers: { authorization: `Bearer ${WEB_TOKEN}` },
      })
    ).json()) as Part[];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const cam = join(dir, 'cam0');
    ffmpeg = startLiveHls(cam, { size: '320x180' });
    await waitForFile(join(cam, 'stream.m3u8'));
    // cam1's mount does not exist: 404, offline.
    origin = await startOrigin({ cam0: cam });
    onair = await startWebOnair(dir, {
      poll: { interval: '1s', timeout: '3s' },
      recordings: { minFreeSpace: '1MB' },
      channels: [
        { id: 'cam0', platform: 'hls', url: `${origin.url}/cam0/stream.m3u8`, name: 'Camera 1' },
        { id: 'cam1', platform: 'hls', url: `${origin.url}/cam1/stream.m3u8`, name: 'Camera 2' },
      ],
    });
    base = onair.url!;
    browser = await launchChromium(join(dir, 'profile'));
    page = browser.pages()[0] ?? (await browser.newPage());
    await page.goto(`${base}/`);
    await page.getByLabel('Token', { exact: true }).fill(WEB_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await onair?.stop();
    await stopProcess(ffmpeg);
    await origin?.close();
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('starts a recording of a live channel, shows it growing, and stops it', async () => {
    await page.goto(`${base}/channels/cam0`);
    await page.locator('.page-head [data-status="live"]').waitFor({ timeout: 20_000 });
    expect(await page.getByTestId('recording-badge').count()).toBe(0);

    await page.getByRole('button', { name: 'Record now' }).click();
    const badge = page.getByTestId('recording-badge');
    await badge.waitFor({ timeout: 20_000 });
    // The size shown follows the part as it is written.
    await expect
      .poll(() => badge.textContent(), { timeout: 30_000 })
      .toMatch(/^● Recording \d+[hms].* · (0\.[1-9]|[1-9]\d*\.\d) MB$/);
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: join(ARTIFACTS, 'web-channel-recording-phone.png') });
    await page.setViewportSize({ width: 1280, height: 800 });

    await page.getByRole('button', { name: 'Stop recording' }).click();
    await expect.poll(() => badge.count(), { timeout: 20_000 }).toBe(0);
    await page.getByRole('button', { name: 'Record now' }).waitFor();
    const [part] = await parts('cam0');
    expect(part?.status).not.toBe('recording');
    expect(part?.bytes).toBeGreaterThan(0);

    // The Recordings page: the session with its media length and size, its part complete.
    await page.goto(`${base}/recordings?channel=cam0`);
    const session = page.locator('[data-session]');
    await expect
      .poll(() => session.locator('h2').textContent(), { timeout: 20_000 })
      .toMatch(/^Camera 1 .* · \d+:\d\d · \d+\.\d MB · 1 part$/);
    expect(await session.locator('[data-recording]').textContent()).toMatch(
      /Part 1 .* · \d+:\d\d · \d+\.\d MB · ts · complete/,
    );
  }, 90_000);

  it('an offline channel asked to record waits for its stream, writes nothing, and can be cancelled', async () => {
    await page.goto(`${base}/channels/cam1`);
    await page.locator('.page-head [data-status="offline"]').waitFor({ timeout: 20_000 });
    await page.getByRole('button', { name: 'Record now' }).click();
    await page.getByTestId('recording-waiting').waitFor();
    expect(await page.getByTestId('recording-badge').count()).toBe(0);
    expect(await parts('cam1')).toEqual([]);
    await page.getByRole('button', { name: 'Stop recording' }).click();
    await page.getByRole('button', { name: 'Record now' }).waitFor();
    expect(await page.getByTestId('recording-waiting').count()).toBe(0);
    expect(await page.getByRole('alert').count()).toBe(0);
  }, 60_000);
});
