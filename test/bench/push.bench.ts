import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { stringify } from 'yaml';
import { loadOnairConfig, startOnair } from '../../src/main.js';
import { listen, readBody } from '../fake-servers/listen.js';
import { FakeTwitchAuth } from '../fake-servers/twitch-auth.server.js';
import { FakeEventSub } from '../fake-servers/twitch-eventsub.server.js';
import { FakeHelix } from '../fake-servers/twitch-helix.server.js';

/**
 * `npm run bench:push`: 1,000 stream.online/offline events pushed by the fake EventSub server,
 * each announced (reconnect grace 0) and delivered by webhook to a sink. Latency is from the
 * fake sending the message to the sink receiving the delivery, one event at a time, on loopback.
 */
const EVENTS = 1_000;
const CHANNELS = 5; // what max_total_cost 10 allows with online + offline

const auth = await FakeTwitchAuth.start();
const eventsub = await FakeEventSub.start();
const helix = await FakeHelix.start(auth, eventsub);
let arrived: (() => void) | null = null;
const sink = await listen((req, res) => {
  void readBody(req).then(() => {
    res.writeHead(204).end();
    arrived?.();
  });
});

const dir = mkdtempSync(join(tmpdir(), 'onair-bench-push-'));
const logins = Array.from({ length: CHANNELS }, (_, i) => `streamer${i}`);
logins.forEach((l, i) => helix.addUser(l, String(9000 + i)));
const file = join(dir, 'onair.yaml');
writeFileSync(
  file,
  stringify({
    dataDir: join(dir, 'data'),
    auth: { adminToken: 'bench-admin-token' },
    log: { level: 'silent' },
    policy: { reconnectGrace: '0s', notifyCooldown: '0s' },
    poll: { interval: '1h' },
    twitch: {
      clientId: auth.clientId,
      clientSecret: auth.clientSecret,
      userToken: helix.userToken,
      apiBase: helix.url,
      authBase: auth.url,
      eventsubUrl: eventsub.url,
    },
    targets: [{ id: 'sink', type: 'webhook', url: `${sink.url}/hook` }],
    channels: logins.map((l) => ({
      id: l,
      platform: 'twitch',
      url: `https://twitch.tv/${l}`,
      notify: [{ target: 'sink', events: ['live', 'offline'] }],
    })),
  }),
);
const onair = await startOnair({
  loaded: loadOnairConfig(file, {}),
  logger: pino({ level: 'silent' }),
  listen: false,
});
await eventsub.until(
  () => eventsub.sessions.length > 0 && eventsub.current.subscriptions.length === CHANNELS * 2,
  10_000,
);
await onair.twitchPush!.whenIdle();

const latencies: number[] = [];
const byKind = { online: [] as number[], offline: [] as number[] };
const base = Date.now();
for (let i = 0; i < EVENTS; i++) {
  const channel = i % CHANNELS;
  const round = Math.floor(i / CHANNELS);
  const login = logins[channel]!;
  const delivered = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`event ${i} was not delivered within 5 s`));
    }, 5_000);
    arrived = () => {
      clearTimeout(timer);
      resolve();
    };
  });
  const sent = performance.now();
  // Even rounds go live (a new stream each time), odd rounds go offline.
  if (round % 2 === 0)
    eventsub.online(String(9000 + channel), login, new Date(base + i * 1_000).toISOString());
  else eventsub.offline(String(9000 + channel), login);
  await delivered;
  const ms = performance.now() - sent;
  latencies.push(ms);
  byKind[round % 2 === 0 ? 'online' : 'offline'].push(ms);
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};
const pct = (p: number) => percentile(latencies, p);
latencies.sort((a, b) => a - b);
const round2 = (n: number) => Math.round(n * 100) / 100;
console.log(
  `push: ${EVENTS} EventSub events → ${latencies.length} webhook deliveries over ${CHANNELS} channels`,
);
console.log(
  `detection-to-delivery latency: p50 ${round2(pct(50))} ms, p90 ${round2(pct(90))} ms, p99 ${round2(pct(99))} ms, max ${round2(latencies.at(-1)!)} ms`,
);
// stream.online also fetches the title (Helix Get Channel Information); stream.offline does not.
for (const [kind, values] of Object.entries(byKind)) {
  console.log(
    `  ${kind}: p50 ${round2(percentile(values, 50))} ms, p99 ${round2(percentile(values, 99))} ms`,
  );
}

await onair.stop();
await helix.close();
await auth.close();
await eventsub.shutdown();
await sink.close();
rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify({ bench: 'push', p50Ms: round2(pct(50)), p99Ms: round2(pct(99)) }));
