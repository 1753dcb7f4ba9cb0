import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  launchChromium,
  startLiveHls,
  startOrigin,
  startWebOnair,
  stopProcess,
  waitForFile,
  WEB_TOKEN,
} from '../e2e/web-peers.js';

/**
 * Memory of the multi-view page with four 720p tiles playing for a while (default 10 minutes,
 * `ONAIR_BENCH_MINUTES` to change). One ffmpeg encodes a 720p + 360p live stream; four channels
 * point at it through four origin paths, so the browser plays four independent hls.js sessions
 * through the proxy. Every 30 s: the page's JS heap (CDP Performance.getMetrics, before and after
 * a forced GC) and the resident memory of all Chromium processes. A benchmark: it prints numbers.
 */

const MINUTES = Number(process.env['ONAIR_BENCH_MINUTES'] ?? 10);
const SAMPLE_MS = 30_000;
const CAMS = ['cam0', 'cam1', 'cam2', 'cam3'];
const MB = 1024 * 1024;

/** Sum of VmRSS over every process whose command line names the profile directory. */
function chromiumRss(profile: string): number {
  let total = 0;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(profile)) continue;
      const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (rss) total += Number(rss[1]) * 1024;
    } catch {
      // The process ended between listing and reading.
    }
  }
  return total;
}

const dir = mkdtempSync(join(tmpdir(), 'onair-web-bench-'));
const profile = join(dir, 'profile');
const ffmpeg = startLiveHls(join(dir, 'hls'), { size: '1280x720', variants: true });
await waitForFile(join(dir, 'hls', 'master.m3u8'));
const origin = await startOrigin(Object.fromEntries(CAMS.map((c) => [c, join(dir, 'hls')])));
const onair = await startWebOnair(dir, {
  poll: { interval: '5s' },
  channels: CAMS.map((id, i) => ({
    id,
    platform: 'hls',
    url: `${origin.url}/${id}/master.m3u8`,
    name: `720p ${i + 1}`,
  })),
});
const browser = await launchChromium(profile);
try {
  const page = browser.pages()[0] ?? (await browser.newPage());
  await page.goto(`${onair.url!}/`);
  await page.getByLabel('Token').fill(WEB_TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  for (const cam of CAMS)
    await page.locator(`[data-channel="${cam}"] [data-status="live"]`).waitFor({ timeout: 30_000 });
  await page.goto(`${onair.url!}/watch?channels=${CAMS.join(',')}&layout=2x2`);
  const videos = page.locator('[data-tile] video');
  await page.locator('[data-tile] .quality select').nth(3).waitFor({ timeout: 60_000 });
  // Pin every tile to 720p: adaptive selection could otherwise settle on 360p and flatter the figure.
  const selects = page.locator('[data-tile] .quality select');
  for (let i = 0; i < 4; i++) await selects.nth(i).selectOption({ label: '720p' });

  const cdp = await browser.newCDPSession(page);
  await cdp.send('Performance.enable');
  const heap = async () => {
    const { metrics } = await cdp.send('Performance.getMetrics');
    return metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? Number.NaN;
  };
  const media = () =>
    videos.evaluateAll((els) =>
      els.map((v) => {
        const video = v as unknown as {
          currentTime: number;
          videoHeight: number;
          getVideoPlaybackQuality(): { totalVideoFrames: number; droppedVideoFrames: number };
        };
        const q = video.getVideoPlaybackQuality();
        return {
          t: video.currentTime,
          h: video.videoHeight,
          frames: q.totalVideoFrames,
          dropped: q.droppedVideoFrames,
        };
      }),
    );

  const rows: { min: number; used: number; afterGc: number; rss: number }[] = [];
  const started = Date.now();
  console.log(`four 720p tiles for ${MINUTES} min; sampling every ${SAMPLE_MS / 1000} s`);
  console.log(
    'min\tJS heap used (MB)\tafter GC (MB)\tChromium RSS (MB)\tcurrentTime per tile\theights',
  );
  for (;;) {
    const used = await heap();
    await cdp.send('HeapProfiler.collectGarbage');
    const afterGc = await heap();
    const rss = chromiumRss(profile);
    const m = await media();
    const min = (Date.now() - started) / 60_000;
    rows.push({ min, used, afterGc, rss });
    console.log(
      `${min.toFixed(1)}\t${(used / MB).toFixed(1)}\t${(afterGc / MB).toFixed(1)}\t${(rss / MB).toFixed(0)}\t${m.map((x) => x.t.toFixed(0)).join(',')}\t${m.map((x) => x.h).join(',')}`,
    );
    if (min >= MINUTES) break;
    await page.waitForTimeout(SAMPLE_MS);
  }
  const final = await media();
  // The first minute is warm-up (hls.js, buffers filling); growth is measured from there.
  const warm = rows.find((r) => r.min >= 1) ?? rows[0]!;
  const later = rows.filter((r) => r.min >= warm.min);
  const maxGc = Math.max(...later.map((r) => r.afterGc));
  const maxRss = Math.max(...later.map((r) => r.rss));
  console.log('');
  console.log(
    `JS heap after GC: ${(warm.afterGc / MB).toFixed(1)} MB at ${warm.min.toFixed(1)} min, max ${(maxGc / MB).toFixed(1)} MB, last ${(rows.at(-1)!.afterGc / MB).toFixed(1)} MB (growth ${((maxGc - warm.afterGc) / MB).toFixed(1)} MB)`,
  );
  console.log(
    `JS heap before GC: max ${(Math.max(...rows.map((r) => r.used)) / MB).toFixed(1)} MB`,
  );
  console.log(
    `Chromium RSS: ${(warm.rss / MB).toFixed(0)} MB at ${warm.min.toFixed(1)} min, max ${(maxRss / MB).toFixed(0)} MB, last ${(rows.at(-1)!.rss / MB).toFixed(0)} MB`,
  );
  console.log(
    `tiles: ${final.map((x) => `${x.t.toFixed(0)} s played, ${x.h}p, ${x.dropped}/${x.frames} frames dropped`).join('; ')}`,
  );
} finally {
  await browser.close();
  await onair.stop();
  await stopProcess(ffmpeg);
  await origin.close();
  rmSync(dir, { recursive: true, force: true });
}
