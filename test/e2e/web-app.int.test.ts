import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Onair } from '../../src/main.js';
import { FakeOwncast } from '../fake-servers/owncast.server.js';
import { listen, type Running } from '../fake-servers/listen.js';
import { WebhookReceiver } from '../fake-servers/webhook-receiver.server.js';
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
 * The web app in Debian's Chromium against the real server: four live ffmpeg HLS channels
 * played through the proxy, a fake Owncast added through the admin page, and an iCalendar feed.
 */

/** The part of HTMLVideoElement the checks read (the test's tsconfig has no DOM library). */
interface Media {
  readonly currentTime: number;
  readonly muted: boolean;
}

const CAMS = ['cam0', 'cam1', 'cam2', 'cam3'];
const DAY_MS = 86_400_000;

function icsFeed(start: Date): string {
  const stamp = (d: Date) =>
    d
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d{3}/, '');
  return [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//test//EN',
    'BEGIN:VEVENT',
    'UID:opener@test',
    `DTSTAMP:${stamp(start)}`,
    `DTSTART:${stamp(start)}`,
    'DURATION:PT2H',
    'RRULE:FREQ=WEEKLY;COUNT=3',
    'SUMMARY:Season opener\\, live',
    'END:VEVENT',
    'END:VCALENDAR',
    '',
  ].join('\r\n');
}

describe('web app in Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'onair-web-e2e-'));
  const ffmpeg: ChildProcess[] = [];
  /** The origin's paths; a test removes one to end that channel's stream (404: offline). */
  const mounts: Record<string, string> = {};
  let origin: Running | undefined;
  let calendar: Running | undefined;
  let owncast: FakeOwncast | undefined;
  let hook: WebhookReceiver | undefined;
  let onair: Onair | undefined;
  let browser: BrowserContext | undefined;
  let page: Page;
  let base: string;
  // Tomorrow at 18:00 UTC: inside the agenda's next 30 days whatever the time now.
  const opener = new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS + DAY_MS + 18 * 3_600_000);

  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `web-${name}.png`) });

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    CAMS.forEach((cam, i) => {
      mounts[cam] = join(dir, cam);
      ffmpeg.push(startLiveHls(mounts[cam], { size: '320x180', frequency: 220 * (i + 1) }));
    });
    await Promise.all(CAMS.map((cam) => waitForFile(join(mounts[cam]!, 'stream.m3u8'))));
    origin = await startOrigin(mounts);
    owncast = await FakeOwncast.start();
    hook = await WebhookReceiver.start();
    calendar = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/calendar' }).end(icsFeed(opener));
    });
    onair = await startWebOnair(dir, {
      poll: { interval: '1s', timeout: '3s' },
      channels: CAMS.map((id, i) => ({
        id,
        platform: 'hls',
        url: `${origin!.url}/${id}/stream.m3u8`,
        name: `Camera ${i + 1}`,
      })),
      recordings: { remux: true },
      targets: [
        { id: 'ops', type: 'webhook', url: `${hook.url}/hook`, secret: 'e2e-webhook-secret' },
      ],
      schedules: [{ url: `${calendar.url}/f1.ics`, channel: 'cam0' }],
    });
    base = onair.url!;
    browser = await launchChromium(join(dir, 'profile'));
    page = browser.pages()[0] ?? (await browser.newPage());
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await onair?.stop();
    await Promise.all(ffmpeg.map(stopProcess));
    await origin?.close();
    await calendar?.close();
    await owncast?.close();
    await hook?.close();
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('refuses a wrong token, then signs in and shows the channels', async () => {
    await page.goto(`${base}/`);
    await page.getByLabel('Token').fill('not-the-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/token/i);
    await shot('login');
    await page.getByLabel('Token').fill(WEB_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    for (const cam of CAMS)
      await page
        .locator(`[data-channel="${cam}"] [data-status="live"]`)
        .waitFor({ timeout: 20_000 });
  }, 40_000);

  it('adds a channel by pasting its URL and sees it go live over the event stream', async () => {
    await page.getByRole('link', { name: 'Admin' }).click();
    await page.getByLabel('Channel URL').fill(`${owncast!.url}/`);
    await page.getByRole('button', { name: 'Check' }).click();
    const preview = page.getByTestId('check-preview');
    await expect.poll(() => preview.textContent()).toMatch(/Recognised as owncast[\s\S]*Offline/);
    await preview.getByLabel('Channel id').fill('stage');
    await preview.getByLabel('Display name').fill('Main stage');
    await page.getByRole('button', { name: 'Add channel' }).click();
    await page.getByRole('status').filter({ hasText: 'Added' }).waitFor();

    // Subscribe it to the webhook target, and send that target a test notification.
    await page.locator('#subscriptions select').selectOption('stage');
    await page.getByLabel('live events to ops').check();
    await page.getByRole('button', { name: 'Save subscriptions' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    await page.getByRole('button', { name: 'Send test to ops' }).click();
    await page.getByRole('status').filter({ hasText: /^Sent/ }).waitFor({ timeout: 15_000 });
    expect(hook!.requests).toHaveLength(1);
    await shot('admin');

    await page.getByRole('link', { name: 'Dashboard' }).click();
    const card = page.locator('[data-channel="stage"]');
    await card.locator('[data-status="offline"]').waitFor({ timeout: 15_000 });
    // From here on the page is never reloaded: the change can only arrive over the event stream.
    const navigations: string[] = [];
    page.on('framenavigated', (frame) => navigations.push(frame.url()));
    owncast!.state().viewers = 1234;
    owncast!.state().tags = ['music', 'festival'];
    owncast!.goLive('Opening night');
    await card.locator('[data-status="live"]').waitFor({ timeout: 15_000 });
    await expect
      .poll(() => card.locator('[data-field="title"]').textContent())
      .toBe('Opening night');
    await card.getByText('1,234 watching').waitFor();
    expect(navigations).toEqual([]);
    await expect.poll(() => hook!.requests.length, { timeout: 45_000 }).toBe(2);
    await shot('dashboard');
  }, 120_000);

  it('keeps onOffline and template when Admin saves a subscription’s events', async () => {
    const auth = { authorization: `Bearer ${WEB_TOKEN}`, 'content-type': 'application/json' };
    const template = { live: '{{channel.name}} is on: {{title}}' };
    const patched = await fetch(`${base}/api/v1/channels/stage`, {
      method: 'PATCH',
      headers: auth,
      body: JSON.stringify({
        notify: [{ target: 'ops', events: ['live'], onOffline: 'edit', template }],
      }),
    });
    expect(patched.status).toBe(200);
    await page.goto(`${base}/admin?channel=stage`);
    await page.getByLabel('title events to ops').check();
    await page.getByRole('button', { name: 'Save subscriptions' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    const channel = (await (
      await fetch(`${base}/api/v1/channels/stage`, { headers: auth })
    ).json()) as { notify: unknown[] };
    expect(channel.notify).toEqual([
      { target: 'ops', events: ['live', 'title'], onOffline: 'edit', template },
    ]);
  }, 30_000);

  it('plays four live channels in a 2×2 multi-view through the proxy and moves the audio focus', async () => {
    const proxied: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/api/v1/proxy/')) proxied.push(r.url());
    });
    await page.goto(`${base}/watch?channels=${CAMS.join(',')}&layout=2x2`);
    const videos = page.locator('[data-tile] video');
    await expect.poll(() => videos.count()).toBe(4);
    const times = () =>
      videos.evaluateAll((els) => els.map((v) => (v as unknown as Media).currentTime));
    await expect
      .poll(async () => (await times()).every((t) => t > 0), { timeout: 30_000, interval: 500 })
      .toBe(true);
    const before = await times();
    await page.waitForTimeout(3_000);
    const after = await times();
    after.forEach((t, i) => {
      expect(t, `tile ${i} advances`).toBeGreaterThan(before[i]! + 1.5);
    });
    expect(new Set(proxied.map((u) => new URL(u).origin))).toEqual(new Set([base]));
    expect(proxied.some((u) => u.includes(origin!.url.replace('http://', '')))).toBe(false);

    const muted = () => videos.evaluateAll((els) => els.map((v) => (v as unknown as Media).muted));
    expect(await muted()).toEqual([false, true, true, true]);
    await page.locator('[data-tile="2"] .tile-body').click();
    await expect.poll(muted).toEqual([true, true, false, true]);
    expect(await page.locator('[data-tile="2"]').getAttribute('data-audio')).toBe('true');
    expect(new URL(page.url()).searchParams.get('audio')).toBe('2');
    // By keyboard too: the audio button of tile 4.
    await page.getByRole('button', { name: 'Give tile 4 the sound' }).press('Enter');
    await expect.poll(muted).toEqual([true, true, true, false]);
    await shot('multiview');

    // The stream of tile 4 ends: its tile shows the offline card, then resumes by itself.
    const player = page.locator('[data-tile="3"] .player');
    const cam3 = mounts['cam3']!;
    delete mounts['cam3'];
    await page.locator('[data-tile="3"] .offline-card').waitFor({ timeout: 20_000 });
    expect(await player.getAttribute('data-state')).toMatch(/^(offline|ended)$/);
    await shot('multiview-offline');
    mounts['cam3'] = cam3;
    await expect.poll(() => player.getAttribute('data-state'), { timeout: 30_000 }).toBe('playing');
    const resumed = (await times())[3]!;
    await expect
      .poll(async () => (await times())[3]! > resumed + 1, { timeout: 10_000 })
      .toBe(true);
  }, 90_000);

  it('shows the imported iCalendar event on the schedule, opening the player', async () => {
    await page.goto(`${base}/schedule?view=agenda`);
    const entry = page.getByRole('link', { name: /Season opener, live/ }).first();
    await entry.waitFor({ timeout: 15_000 });
    expect(await entry.getAttribute('href')).toBe('/watch?channels=cam0&layout=1');
    await shot('schedule-agenda');
    const day = opener.toISOString().slice(0, 10);
    await page.goto(`${base}/schedule?view=month&date=${day}`);
    await page.locator(`[data-day="${day}"]`).getByText('Season opener, live').waitFor();
    await shot('schedule-month');
  }, 30_000);

  it('shows a channel page with its history and the recordings page', async () => {
    await page.goto(`${base}/channels/stage`);
    await page.getByRole('heading', { name: 'Event history' }).waitFor();
    const rows = page.locator('tbody tr');
    // Announced, with where it went (the webhook received it above).
    await expect
      .poll(() => rows.first().textContent())
      .toMatch(/live\s*Opening night\s*sent to ops/);
    // cam0 was already live at its first sight: recorded, not announced, with the reason.
    await page.goto(`${base}/channels/cam0`);
    await page
      .getByText(/suppressed: first observation/)
      .first()
      .waitFor({ timeout: 10_000 });
    await shot('channel');
    await page.getByRole('link', { name: 'Recordings' }).click();
    await page.getByRole('heading', { name: 'Recordings' }).waitFor();
  }, 30_000);

  it('lists, plays and downloads a recording', async () => {
    const auth = { authorization: `Bearer ${WEB_TOKEN}` };
    expect(
      (await fetch(`${base}/api/v1/channels/cam1/recording`, { method: 'POST', headers: auth }))
        .status,
    ).toBe(202);
    await page.waitForTimeout(4_000);
    expect(
      (await fetch(`${base}/api/v1/channels/cam1/recording`, { method: 'DELETE', headers: auth }))
        .status,
    ).toBe(204);
    const item = page.locator('[data-recording]').first();
    // The finished part is remuxed to MP4 (recordings.remux), which the browser can play.
    await expect
      .poll(
        async () => {
          await page.goto(`${base}/recordings?channel=cam1`);
          await page.getByRole('heading', { name: 'Recordings' }).waitFor();
          return (await item.count()) > 0 ? await item.textContent() : '';
        },
        { timeout: 30_000, interval: 1_000 },
      )
      .toMatch(/mp4/);
    const href = await item.getByRole('link', { name: /Download/ }).getAttribute('href');
    const file = await page.request.get(`${base}${href!}`);
    expect(file.status()).toBe(200);
    expect((await file.body()).length).toBeGreaterThan(10_000);
    await item.getByRole('button', { name: /Play/ }).click();
    const video = item.locator('video');
    await expect
      .poll(() => video.evaluate((v) => (v as unknown as Media).currentTime), { timeout: 10_000 })
      .toBeGreaterThan(0.5);
    await shot('recordings');
  }, 60_000);

  it('fits a phone-width screen without horizontal scrolling', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    const scrollWidth = () =>
      page.evaluate(
        () =>
          (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } })
            .document.documentElement.scrollWidth,
      );
    for (const path of [
      '/',
      '/schedule?view=month',
      '/schedule?view=week',
      `/watch?channels=${CAMS.join(',')}&layout=1%2B3`,
      '/admin',
      '/channels/stage',
    ]) {
      await page.goto(`${base}${path}`);
      await page.locator('main h1').waitFor();
      expect(await scrollWidth(), path).toBeLessThanOrEqual(390);
      if (path === '/admin') {
        // The channel list is one card per channel here (its header row hidden)…
        expect(await page.locator('table.cards-narrow thead').isVisible()).toBe(false);
        await shot('admin-phone');
      }
    }
    // …and a table at desktop width.
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(`${base}/admin`);
    await page.locator('main h1').waitFor();
    expect(await page.locator('table.cards-narrow thead').isVisible()).toBe(true);
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${base}/`);
    await page.locator('[data-channel="stage"]').waitFor();
    await shot('dashboard-phone');
  }, 30_000);
});
