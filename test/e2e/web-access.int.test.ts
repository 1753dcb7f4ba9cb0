import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Onair } from '../../src/main.js';
import { listen, type Running } from '../fake-servers/listen.js';
import { WebhookReceiver } from '../fake-servers/webhook-receiver.server.js';
import { ARTIFACTS, WEB_TOKEN, launchChromium, startWebOnair } from './web-peers.js';

/**
 * The Access page in Debian's Chromium against the real server: an admin creates a user and a
 * token for them at desktop width; that user signs in with the token at phone width (390 px) and
 * creates and removes a keepalive; a revoked token no longer signs in.
 */

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };

describe('web app: users, tokens and keepalives in Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'onair-web-access-'));
  let origin: Running | undefined;
  let onair: Onair | undefined;
  let browser: BrowserContext | undefined;
  let page: Page;
  let base: string;
  /** Channels whose origin serves a live playlist (the others answer 404: offline). */
  const up = new Set<string>();
  let hook: WebhookReceiver | undefined;
  /** The token the admin creates for `viewer`, read from the page (shown once). */
  let viewerToken = '';

  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `web-${name}.png`) });

  async function signIn(token: string): Promise<void> {
    await page.goto(`${base}/`);
    await page.getByLabel('Token', { exact: true }).fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  async function signOut(): Promise<void> {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Token', { exact: true }).waitFor();
  }

  /** How far the page is wider than the window (0: nothing to scroll sideways). */
  const overflow = () =>
    page.evaluate<number>(
      'document.documentElement.scrollWidth - document.documentElement.clientWidth',
    );

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    // A live playlist whose media sequence advances every second while the channel is `up`.
    hook = await WebhookReceiver.start();
    origin = await listen((req, res) => {
      const id = /^\/(cam\d)\.m3u8/.exec(req.url ?? '')?.[1];
      if (id === undefined || !up.has(id)) {
        res.writeHead(404).end();
        return;
      }
      const seq = Math.floor(Date.now() / 1_000);
      res
        .writeHead(200, { 'content-type': 'application/vnd.apple.mpegurl' })
        .end(
          `#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:${seq}\n#EXTINF:1.0,\nseg${seq}.ts\n`,
        );
    });
    onair = await startWebOnair(dir, {
      poll: { interval: '1s', timeout: '3s' },
      policy: { reconnectGrace: '10m' },
      channels: [
        { id: 'cam0', platform: 'hls', url: `${origin.url}/cam0.m3u8`, name: 'Camera 1' },
        { id: 'cam1', platform: 'hls', url: `${origin.url}/cam1.m3u8`, name: 'Camera 2' },
        {
          id: 'cam2',
          platform: 'hls',
          url: `${origin.url}/cam2.m3u8`,
          name: 'Camera 3',
          notify: [{ target: 'ops', events: ['live'] }],
        },
      ],
      targets: [{ id: 'ops', type: 'webhook', url: `${hook.url}/hook` }],
    });
    base = onair.url!;
    browser = await launchChromium(join(dir, 'profile'));
    page = browser.pages()[0] ?? (await browser.newPage());
    // Revoking and deleting ask first.
    page.on('dialog', (dialog) => void dialog.accept());
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await onair?.stop();
    await origin?.close();
    await hook?.close();
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('an admin creates a user with channel-limited permissions and a token shown once', async () => {
    await page.setViewportSize(DESKTOP);
    await signIn(WEB_TOKEN);
    await page.getByRole('link', { name: 'Access' }).click();
    await page.getByRole('heading', { name: 'Users' }).waitFor();

    await page.getByText('Add a user', { exact: true }).click();
    await page.getByLabel('User name').fill('viewer');
    const newUser = page.locator('form', {
      has: page.getByRole('button', { name: 'Create user' }),
    });
    // `read` is ticked by default (every channel: listings need it on all); keepalives on cam0 only.
    // (Channel-limited `read` cannot list channels: GET /api/v1/channels wants `read` on all.)
    await newUser.getByRole('checkbox', { name: /^keepalive/ }).check();
    await newUser.getByLabel('Channels for keepalive').fill('cam0');
    await newUser.getByLabel('Allowed addresses').fill('127.0.0.1, ::1');
    await page.getByRole('button', { name: 'Create user' }).click();
    const card = page.locator('[data-user="viewer"]');
    await expect.poll(() => card.textContent()).toContain('read · keepalive (cam0)');
    expect(await card.textContent()).toContain('only from 127.0.0.1, ::1');

    await page.getByText('Create a token', { exact: true }).click();
    await page.getByLabel('For user').selectOption('viewer');
    await page.getByLabel('Label').fill('phone');
    await page.getByLabel('Lifetime').fill('1d');
    await page.getByRole('button', { name: 'Create token' }).click();
    const secret = page.getByLabel('New token');
    await secret.waitFor();
    viewerToken = await secret.inputValue();
    expect(viewerToken.length).toBeGreaterThan(20);
    await expect
      .poll(() => page.locator('[data-token]', { hasText: 'phone' }).textContent())
      .toMatch(/of viewer[\s\S]*expires/);
    await page.getByRole('heading', { name: 'Users' }).scrollIntoViewIfNeeded();
    await shot('access');
    // Listed without its secret: the token is shown once, in the box above only.
    expect(await page.locator('[data-token]').allTextContents()).not.toContainEqual(
      expect.stringContaining(viewerToken),
    );
    await signOut();
  }, 60_000);

  it('the new user signs in with that token at phone width, then adds and removes a keepalive', async () => {
    expect(viewerToken).not.toBe('');
    await page.setViewportSize(PHONE);
    await signIn(viewerToken);
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await page.goto(`${base}/access`);
    await page.getByRole('heading', { name: 'Keepalives' }).waitFor();
    // Not an admin: no users panel, and only their own token.
    expect(await page.getByRole('heading', { name: 'Users' }).count()).toBe(0);
    await expect.poll(() => page.locator('[data-token]').count()).toBe(1);

    await page.getByText('Add a keepalive', { exact: true }).click();
    await expect
      .poll(() => page.getByLabel('Channel').locator('option').allTextContents())
      .toEqual(['Choose a channel…', 'Camera 1', 'Camera 2', 'Camera 3']);
    // Negative twins: a channel outside their keepalive grant, and a lifetime the server refuses,
    // are each said in words, and nothing is kept.
    await page.getByLabel('Channel').selectOption('cam1');
    await page.getByLabel('Keep for').fill('2h');
    await page.getByRole('button', { name: 'Keep alive' }).click();
    await expect
      .poll(() => page.getByRole('alert').textContent())
      .toMatch(/no keepalive permission on channel "cam1"/);
    expect(await page.locator('[data-keepalive]').count()).toBe(0);
    await page.getByLabel('Channel').selectOption('cam0');
    await page.getByLabel('Keep for').fill('soon');
    await page.getByRole('button', { name: 'Keep alive' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/^ttl: /);
    expect(await page.locator('[data-keepalive]').count()).toBe(0);

    await page.getByLabel('Keep for').fill('2h');
    await page.getByRole('button', { name: 'Keep alive' }).click();
    const kept = page.locator('[data-keepalive][data-channel="cam0"]');
    await expect.poll(() => kept.textContent()).toMatch(/Camera 1[\s\S]*by viewer/);
    expect(await page.getByRole('alert').count()).toBe(0);
    expect(await overflow()).toBe(0);
    await shot('access-phone');

    await kept.getByRole('button', { name: 'Remove' }).click();
    await expect.poll(() => page.locator('[data-keepalive]').count()).toBe(0);
    await expect.poll(() => page.getByText('No keepalives.').count()).toBe(1);
    await signOut();
  }, 60_000);

  it('an admin sees every keepalive and revokes the token, which then no longer signs in', async () => {
    await page.setViewportSize(DESKTOP);
    const made = await fetch(`${base}/api/v1/keepalives`, {
      method: 'POST',
      headers: { authorization: `Bearer ${viewerToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ channel: 'cam0', ttl: '1h' }),
    });
    expect(made.status).toBe(201);
    await signIn(WEB_TOKEN);
    await page.getByRole('link', { name: 'Access' }).click();
    await expect
      .poll(() => page.locator('[data-keepalive]').textContent())
      .toMatch(/Camera 1[\s\S]*by viewer/);

    await page
      .locator('[data-token]', { hasText: 'phone' })
      .getByRole('button', { name: 'Revoke' })
      .click();
    await expect.poll(() => page.locator('[data-token]', { hasText: 'phone' }).count()).toBe(0);
    await signOut();

    await signIn(viewerToken);
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/token/i);
    expect(await page.getByRole('heading', { name: 'Dashboard' }).count()).toBe(0);
  }, 60_000);

  it('the channel page tells an announced event no target got from one sent to a target', async () => {
    await signIn(WEB_TOKEN);
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    // First seen offline, then live: announced (not suppressed), to nobody for cam0.
    up.add('cam0');
    up.add('cam2');
    await page.goto(`${base}/channels/cam0`);
    await page.locator('.page-head [data-status="live"]').waitFor({ timeout: 20_000 });
    await expect
      .poll(() => page.getByTestId('announced').allTextContents(), { timeout: 15_000 })
      .toEqual(['not sent (no target subscribed)']);
    // Twin: cam2's go-live went to its subscribed target.
    await page.goto(`${base}/channels/cam2`);
    await page.locator('.page-head [data-status="live"]').waitFor({ timeout: 20_000 });
    await expect
      .poll(() => page.getByTestId('announced').allTextContents(), { timeout: 15_000 })
      .toEqual(['sent to ops']);
    expect(hook!.requests.length).toBe(1);
  }, 60_000);

  it('the channel page says when an offline will be announced while a dropped stream is in its grace', async () => {
    await page.goto(`${base}/channels/cam0`);
    await page.locator('.page-head [data-status="live"]').waitFor({ timeout: 20_000 });
    expect(await page.getByTestId('offline-announce').count()).toBe(0);

    up.delete('cam0');
    const notice = page.getByTestId('offline-announce');
    await notice.waitFor({ timeout: 20_000 });
    const view = (await (
      await fetch(`${base}/api/v1/channels/cam0`, {
        headers: { authorization: `Bearer ${WEB_TOKEN}` },
      })
    ).json()) as { offlineSince: string; offlineAnnounceAt: string };
    // The grace (10 minutes) counts from the drop.
    expect(Date.parse(view.offlineAnnounceAt) - Date.parse(view.offlineSince)).toBe(600_000);
    const hhmm = await page.evaluate<string>(
      `new Date(${JSON.stringify(view.offlineAnnounceAt)}).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })`,
    );
    expect(await notice.textContent()).toBe(
      `Offline will be announced at ${hhmm} unless it comes back.`,
    );
    await shot('channel-grace');

    // Negative twin: a channel offline at first sight has no drop to announce, and says nothing.
    await page.goto(`${base}/channels/cam1`);
    await page.locator('.page-head [data-status="offline"]').waitFor({ timeout: 20_000 });
    expect(await page.getByTestId('offline-announce').count()).toBe(0);
  }, 60_000);
});
