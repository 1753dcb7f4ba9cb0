/**
 * Soak: `npm run soak [channels] [minutes]` runs the real `onair serve` (embedded SQLite) over a
 * farm of flapping Owncast channels and prints its RSS, open file descriptors and sockets over
 * time; growth is measured between the middle and the last third (the first third is warm-up).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { removeDir } from '../e2e/harness.js';
import { WebhookReceiver } from '../fake-servers/webhook-receiver.server.js';
import { ensureBuilt, fdsOf, rssOf, sleep, startServe } from './serve-process.js';

export interface SoakSample {
  readonly atS: number;
  readonly rss: number;
  readonly fds: number;
  readonly sockets: number;
  readonly delivered: number;
}

export interface SoakResult {
  readonly channels: number;
  readonly minutes: number;
  readonly samples: readonly SoakSample[];
  /**
   * Lowest RSS of the last third minus lowest RSS of the middle third, in bytes: the floors left
   * after garbage collections, since RSS in between climbs and falls with V8's lazy major GCs.
   */
  readonly rssGrowth: number;
  readonly rssPeak: number;
  readonly fdGrowth: number;
  readonly delivered: number;
  readonly probes: number;
}

/** Starts `test/bench/owncast-farm.ts` in its own process (so it does not share the measured loop). */
async function startFarm(
  flipMs: number,
  liveModulo: number,
): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, '../bench/owncast-farm.ts')],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, FARM_FLIP_MS: String(flipMs), FARM_LIVE_MODULO: String(liveModulo) },
    },
  );
  const port = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /PORT (\d+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.once('exit', () => {
      reject(new Error('owncast farm exited'));
    });
  });
  return { child, url: `http://127.0.0.1:${port}` };
}

const mean = (values: readonly number[]) =>
  values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);

export async function runSoak(options: {
  channels: number;
  minutes: number;
  sampleMs?: number;
  log?: (line: string) => void;
}): Promise<SoakResult> {
  const { channels, minutes } = options;
  const sampleMs = options.sampleMs ?? 5_000;
  const log = options.log ?? (() => undefined);
  ensureBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'onair-soak-'));
  // One channel in ten flips between live and offline every 20 s: 500 go-lives and 500 ends a flip at 10,000.
  const farm = await startFarm(20_000, 10);
  const receiver = await WebhookReceiver.start();
  let onair: Awaited<ReturnType<typeof startServe>> | null = null;
  try {
    const config = join(dir, 'onair.yaml');
    writeFileSync(
      config,
      stringify({
        server: { host: '127.0.0.1', port: 0 },
        dataDir: join(dir, 'data'),
        auth: { adminToken: 'soak-admin-token' },
        log: { level: 'info' },
        poll: { interval: '10s', concurrency: 128, timeout: '5s' },
        policy: { reconnectGrace: '0s' },
        targets: [{ id: 'hook', type: 'webhook', url: receiver.url }],
        channels: Array.from({ length: channels }, (_, i) => ({
          id: `c${i}`,
          platform: 'owncast',
          url: `${farm.url}/c/${i}`,
          notify: [{ target: 'hook', events: ['live', 'offline'] }],
        })),
      }),
    );
    onair = await startServe(config, {}, 120_000);
    const started = Date.now();
    const samples: SoakSample[] = [];
    log('   t(s)     RSS(MB)   fds  sockets  delivered');
    while (Date.now() - started < minutes * 60_000) {
      await sleep(sampleMs);
      const { fds, sockets } = fdsOf(onair.pid);
      const sample: SoakSample = {
        atS: Math.round((Date.now() - started) / 1_000),
        rss: rssOf(onair.pid),
        fds,
        sockets,
        delivered: receiver.requests.length,
      };
      samples.push(sample);
      log(
        `${String(sample.atS).padStart(7)} ${(sample.rss / 1_048_576).toFixed(1).padStart(11)} ${String(fds).padStart(5)} ${String(sockets).padStart(8)} ${String(sample.delivered).padStart(10)}`,
      );
    }
    const third = Math.max(1, Math.floor(samples.length / 3));
    const middle = samples.slice(third, 2 * third);
    const last = samples.slice(-third);
    const metrics = (
      await (
        await fetch(`${onair.url}/metrics`, {
          headers: { authorization: 'Bearer soak-admin-token' },
        })
      ).text()
    ).split('\n');
    const probes = metrics
      .filter((l) => l.startsWith('onair_probes_total'))
      .reduce((n, l) => n + Number(l.split(' ').at(-1)), 0);
    process.kill(onair.pid, 'SIGTERM');
    await onair.exited;
    return {
      channels,
      minutes,
      samples,
      rssGrowth: Math.min(...last.map((s) => s.rss)) - Math.min(...middle.map((s) => s.rss)),
      rssPeak: Math.max(...samples.map((s) => s.rss)),
      fdGrowth: Math.round(mean(last.map((s) => s.fds)) - mean(middle.map((s) => s.fds))),
      delivered: receiver.requests.length,
      probes,
    };
  } finally {
    if (onair && onair.child.exitCode === null && onair.child.signalCode === null)
      process.kill(onair.pid, 'SIGKILL');
    if (farm.child.pid !== undefined && farm.child.exitCode === null)
      process.kill(farm.child.pid, 'SIGTERM');
    await receiver.close();
    removeDir(dir);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const channels = Number(process.argv[2] ?? 10_000);
  const minutes = Number(process.argv[3] ?? 5);
  const result = await runSoak({
    channels,
    minutes,
    sampleMs: minutes > 5 ? 30_000 : 5_000,
    log: (line) => {
      console.log(line);
    },
  });
  console.log(
    `\n${result.channels} channels, ${result.minutes} min: RSS floor growth after warm-up ${(result.rssGrowth / 1_048_576).toFixed(1)} MB ` +
      `(peak ${(result.rssPeak / 1_048_576).toFixed(0)} MB), ` +
      `fd growth ${result.fdGrowth}, ${result.delivered} notifications delivered, ${result.probes} probes`,
  );
}
