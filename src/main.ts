import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { pino, type Logger as Pino } from 'pino';
import { Auth } from './app/auth.js';
import { Catalog } from './app/catalog.js';
import { DeliveryWorker } from './app/delivery-worker.js';
import type { Registries } from './app/inputs.js';
import { PollLoop } from './app/poll-loop.js';
import { Sentinel } from './app/sentinel.js';
import { MemoryBus } from './adapters/bus/memory-bus.js';
import { UndiciHttpClient } from './adapters/http-client/undici-http-client.js';
import { PrometheusMetrics } from './adapters/metrics/prometheus.js';
import { notifiers as builtInNotifiers } from './adapters/notifiers/registry.js';
import { platforms as builtInPlatforms } from './adapters/platforms/registry.js';
import { EventSubWebSocketConnector } from './adapters/platforms/twitch/eventsub.client.js';
import { TwitchApi, type TwitchSettings } from './adapters/platforms/twitch/twitch-api.js';
import { TwitchPushHelix } from './adapters/platforms/twitch/twitch-push.adapter.js';
import { TwitchPlatform } from './adapters/platforms/twitch/twitch.platform.js';
import { TwitchPush } from './app/push/twitch-push.js';
import { openSqliteStore } from './adapters/store/sqlite/sqlite-store.js';
import { systemClock, systemTimers } from './adapters/time/system-time.js';
import { loadConfig, type LoadedConfig } from './config/load.js';
import { buildHttpApp } from './http/app.js';
import { registerWebApp } from './http/routes/web.routes.js';
import { Schedule } from './app/schedule/schedule.js';
import type { Clock, Timers } from './ports/clock.js';
import type { HttpClient } from './ports/http-client.js';
import type { Store } from './ports/store.js';

export const USER_AGENT = 'onair/0.1 (+https://github.com/onair)';

/** Secrets never reach a log line, whatever object carries them. */
export const REDACT_PATHS = [
  'secret',
  'token',
  'password',
  'headers.authorization',
  '*.secret',
  '*.token',
  '*.password',
  '*.adminToken',
  '*.webhookSecret',
  '*.clientSecret',
  '*.userToken',
  'req.headers.authorization',
];

export function createLogger(level: string): Pino {
  return pino({ level, redact: { paths: REDACT_PATHS, censor: 'REDACTED' } });
}

/** The registries with the built-in adapters, over one HTTP client; `twitch` is null without Twitch credentials. */
export function createRegistries(
  http: HttpClient,
  config: { timeoutMs: number; maxBytes: number; deliveryTimeoutMs: number },
  clock: Clock,
  twitch: TwitchApi | null = null,
): Registries {
  const platformList = builtInPlatforms({ http, timeoutMs: config.timeoutMs, maxBytes: config.maxBytes }, twitch);
  const notifierList = builtInNotifiers({ http, timeoutMs: config.deliveryTimeoutMs, now: () => clock.now() });
  return {
    platforms: new Map(platformList.map((p) => [p.id, p])),
    notifiers: new Map(notifierList.map((n) => [n.type, n])),
  };
}

/** Loads and validates a config against the built-in registries (throws ConfigError). */
export function loadOnairConfig(file: string | undefined, env: Readonly<Record<string, string | undefined>>): LoadedConfig {
  const http = new UndiciHttpClient({ connectionsPerOrigin: 1, userAgent: USER_AGENT });
  try {
    return loadConfig({ file, env, registries: createRegistries(http, { timeoutMs: 1, maxBytes: 1, deliveryTimeoutMs: 1 }, systemClock) });
  } finally {
    void http.close();
  }
}

export interface OnairOptions {
  readonly loaded: LoadedConfig;
  readonly logger: Pino;
  readonly clock?: Clock;
  readonly timers?: Timers;
  readonly random?: () => number;
  /** Listen on the configured host and port (false: build only, for in-process tests). */
  readonly listen?: boolean;
}

export interface Onair {
  readonly http: FastifyInstance;
  readonly store: Store;
  readonly sentinel: Sentinel;
  readonly poll: PollLoop;
  readonly delivery: DeliveryWorker;
  readonly catalog: Catalog;
  /** Twitch EventSub push, when `twitch` is configured. */
  readonly twitchPush: TwitchPush | null;
  /** The admin token generated at this start (none configured, first start), else null. */
  readonly generatedAdminToken: string | null;
  /** `http://host:port` once listening. */
  readonly url: string | null;
  stop(): Promise<void>;
}

/** The composition root: the only place that constructs adapters. */
export async function startOnair(options: OnairOptions): Promise<Onair> {
  const { config } = options.loaded;
  const clock = options.clock ?? systemClock;
  const timers = options.timers ?? systemTimers;
  const random = options.random ?? Math.random;
  const logger = options.logger;
  const http = new UndiciHttpClient({ connectionsPerOrigin: Math.max(config.poll.concurrency, 16), userAgent: USER_AGENT });
  const twitchSettings: TwitchSettings | null = config.twitch ?? null;
  const twitchApi = twitchSettings ? new TwitchApi({ http, clock, timeoutMs: config.poll.timeout, maxBytes: config.poll.maxBytes, settings: twitchSettings }) : null;
  const registries = createRegistries(http, { timeoutMs: config.poll.timeout, maxBytes: config.poll.maxBytes, deliveryTimeoutMs: config.delivery.timeout }, clock, twitchApi);
  const store = await openSqliteStore(join(config.dataDir, 'onair.db'));
  const bus = new MemoryBus();
  const policy = {
    reconnectGraceMs: config.policy.reconnectGrace,
    notifyCooldownMs: config.policy.notifyCooldown,
    unreachableAfter: config.policy.unreachableAfter,
  };
  const sentinel: Sentinel = new Sentinel({ store, clock, bus, logger, policy, onDeliveriesQueued: () => { delivery.nudge(); } });
  const metrics = new PrometheusMetrics({ channelsByStatus: () => sentinel.statusCounts(), outbox: () => store.countDeliveries() });
  const delivery: DeliveryWorker = new DeliveryWorker({
    store,
    notifiers: registries.notifiers,
    clock,
    timers,
    bus,
    logger,
    metrics,
    random,
    idlePollMs: 30_000,
    policy: {
      concurrency: config.delivery.concurrency,
      maxAttempts: config.delivery.maxAttempts,
      backoffBaseMs: config.delivery.backoffBase,
      backoffMaxMs: config.delivery.backoffMax,
      retryAfterMaxMs: 3_600_000,
    },
  });
  const poll = new PollLoop({
    sentinel,
    platforms: registries.platforms,
    clock,
    timers,
    logger,
    metrics,
    random,
    defaultIntervalMs: config.poll.interval,
    concurrency: config.poll.concurrency,
    maxBackoffMs: config.poll.maxBackoff,
    startSpreadMs: Math.min(config.poll.interval, 5_000),
    pushedIntervalFactor: 5,
  });
  const twitchPush =
    twitchApi && twitchSettings
      ? new TwitchPush({
          sentinel,
          poll,
          api: new TwitchPushHelix(twitchApi, new TwitchPlatform(twitchApi)),
          eventsub: new EventSubWebSocketConnector({ url: twitchSettings.eventsubUrl, clock, timers, logger: logger.child({ component: 'eventsub' }) }),
          timers,
          logger: logger.child({ component: 'twitch-push' }),
          maxTotalCost: 10,
          retryBaseMs: 1_000,
          retryMaxMs: 60_000,
          maxEmptySessions: 3,
        })
      : null;
  const catalog = new Catalog({ store, sentinel, poll, clock, registries });
  const auth = new Auth(store);
  const generatedAdminToken = await auth.init(config.auth.adminToken);
  await catalog.syncConfig(options.loaded.targets, options.loaded.channels);
  await sentinel.load();
  const app = await buildHttpApp({
    catalog,
    store,
    sentinel,
    poll,
    auth,
    bus,
    notifiers: registries.notifiers,
    metrics: { contentType: metrics.registry.contentType, text: () => metrics.registry.metrics() },
    logger: logger.child({ component: 'http' }),
    heartbeatMs: 15_000,
    clock,
  });
  const schedule = new Schedule({
    store,
    http,
    clock,
    timers,
    logger: logger.child({ component: 'schedule' }),
    feeds: config.schedules.map((s) => ({ url: s.url, channel: s.channel, refreshMs: s.refresh })),
    channelStates: () => sentinel.channelIds().map((id) => [id, sentinel.state(id)] as const),
    timeoutMs: config.poll.timeout,
    maxBytes: 8 * 1_048_576,
  });
  // Built next to the server by `npm run build`; without it onair serves the API only.
  const webRoot = fileURLToPath(new URL('../dist/web/', import.meta.url));
  const hasWeb = existsSync(join(webRoot, 'index.html'));
  if (!hasWeb) logger.warn({ webRoot }, 'web app not built: serving the API only');
  await registerWebApp(app, { schedule, clock, platforms: registries.platforms, checkTimeoutMs: 15_000, webRoot: hasWeb ? webRoot : null });
  let url: string | null = null;
  if (options.listen !== false) {
    url = await app.listen({ host: config.server.host, port: config.server.port });
  } else {
    await app.ready();
  }
  const flushTimer = setInterval(() => {
    sentinel.flush().catch((err: unknown) => {
      logger.error({ err }, 'could not flush probe bookkeeping');
    });
  }, 10_000);
  flushTimer.unref();
  poll.start();
  twitchPush?.start();
  delivery.start();
  schedule.start();
  logger.info({ channels: sentinel.channelIds().length, url }, 'onair started');

  let stopped: Promise<void> | null = null;
  return {
    http: app,
    store,
    sentinel,
    poll,
    delivery,
    catalog,
    twitchPush,
    generatedAdminToken,
    url,
    stop() {
      stopped ??= (async () => {
        clearInterval(flushTimer);
        schedule.stop();
        twitchPush?.stop();
        await app.close();
        await poll.stop();
        await delivery.stop();
        await sentinel.flush();
        await store.close();
        await http.close();
      })();
      return stopped;
    },
  };
}
