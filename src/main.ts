import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { pino, type DestinationStream, type Logger as Pino } from 'pino';
import { Auth } from './app/auth.js';
import { FailureLimiter } from './app/auth-rate-limit.js';
import { Catalog } from './app/catalog.js';
import { DeliveryWorker } from './app/delivery-worker.js';
import type { Registries } from './app/inputs.js';
import { AppError } from './app/errors.js';
import { Keepalives } from './app/keepalives.js';
import { PollLoop } from './app/poll-loop.js';
import { Sentinel } from './app/sentinel.js';
import { Supervisor } from './app/supervisor.js';
import { Lifecycle } from './app/lifecycle.js';
import { Playback } from './app/playback/playback.js';
import { SharedPlaylists } from './app/playback/shared-playlists.js';
import { Readers } from './app/readers.js';
import { Refresher } from './app/refresher.js';
import { Recordings } from './app/recorder/recordings.js';
import { FsRecordingFiles } from './adapters/recorder/fs-files.js';
import { FfmpegRemuxer, findFfmpeg } from './adapters/recorder/ffmpeg-remuxer.js';
import {
  builtInExtractors,
  extractorSelector,
  type ExtractorRule,
} from './adapters/extractors/registry.js';
import { HmacTokenSealer, proxySecret } from './adapters/proxy/token-sealer.js';
import { SegmentCache } from './adapters/proxy/segment-cache.js';
import { UndiciUpstream } from './adapters/proxy/undici-upstream.js';
import { UndiciHttpClient } from './adapters/http-client/undici-http-client.js';
import { PrometheusMetrics } from './adapters/metrics/prometheus.js';
import { notifiers as builtInNotifiers } from './adapters/notifiers/registry.js';
import { DEFAULT_STALE_AFTER_MS } from './adapters/platforms/progress-watch.js';
import { platforms as builtInPlatforms } from './adapters/platforms/registry.js';
import { EventSubWebSocketConnector } from './adapters/platforms/twitch/eventsub.client.js';
import { TwitchApi, type TwitchSettings } from './adapters/platforms/twitch/twitch-api.js';
import { TwitchPushHelix } from './adapters/platforms/twitch/twitch-push.adapter.js';
import { TwitchScheduleReader } from './adapters/platforms/twitch/twitch-schedule.adapter.js';
import { TwitchPlatform } from './adapters/platforms/twitch/twitch.platform.js';
import { TwitchPush } from './app/push/twitch-push.js';
import { BotCommands, type BotCommandName } from './app/bots/commands.js';
import { MatrixBot } from './adapters/bots/matrix/matrix.bot.js';
import { TelegramBot } from './adapters/bots/telegram/telegram.bot.js';
import { openSqliteStore } from './adapters/store/sqlite/sqlite-store.js';
import { openPostgresStore } from './adapters/store/postgres/postgres-store.js';
import { InProcessJobs } from './adapters/jobs/in-process-jobs.js';
import { memoryCoordination } from './adapters/jobs/memory-coordination.js';
import { MemoryDueTimes } from './adapters/jobs/memory-due-times.js';
import { openPostgresCoordination } from './adapters/jobs/postgres/pg-coordination.js';
import { LeasedPush } from './app/push/leased-push.js';
import type { Coordination } from './ports/coordination.js';
import type { DueTimes } from './ports/due-times.js';
import type { JobRuntime, Role } from './ports/jobs.js';
import { monotonicClock, systemClock, systemTimers } from './adapters/time/system-time.js';
import { loadConfig, type LoadedConfig } from './config/load.js';
import { configSchema } from './config/schema.js';
import { buildHttpApp } from './http/app.js';
import { registerWebApp } from './http/routes/web.routes.js';
import { CalendarKeys } from './app/schedule/calendar-keys.js';
import { Schedule } from './app/schedule/schedule.js';
import type { PlaybackHttpDeps } from './http/routes/playback.routes.js';
import { randomUUID } from 'node:crypto';
import type { Clock, MonotonicClock, Timers } from './ports/clock.js';
import type { HttpClient } from './ports/http-client.js';
import type { Store } from './ports/store.js';
import type { EventBus } from './ports/event-bus.js';

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
  'headers.cookie',
  'req.headers.cookie',
];

/** A pino logger writing JSON lines to stdout, or to `destination` (the CLI's human-readable stream). */
export function createLogger(level: string, destination?: DestinationStream): Pino {
  const options = { level, redact: { paths: REDACT_PATHS, censor: 'REDACTED' } };
  return destination === undefined ? pino(options) : pino(options, destination);
}

/** The registries with the built-in adapters, over one HTTP client; `twitch` is null without Twitch credentials. */
export function createRegistries(
  http: HttpClient,
  config: {
    timeoutMs: number;
    maxBytes: number;
    deliveryTimeoutMs: number;
    /** `poll.staleAfter`; default 30 s. */
    staleAfterMs?: number;
  },
  clock: Clock,
  twitch: TwitchApi | null = null,
  extractorRules: readonly ExtractorRule[] = [],
): Registries {
  const platformHttp = { http, timeoutMs: config.timeoutMs, maxBytes: config.maxBytes };
  // `streamlink` and `plugin` channels are live while their extractor finds a stream.
  const extractorFor = extractorSelector(builtInExtractors(platformHttp), extractorRules);
  const platformList = builtInPlatforms(platformHttp, twitch, extractorFor, {
    clock,
    staleAfterMs: config.staleAfterMs ?? DEFAULT_STALE_AFTER_MS,
  });
  const notifierList = builtInNotifiers({
    http,
    timeoutMs: config.deliveryTimeoutMs,
    now: () => clock.now(),
  });
  return {
    platforms: new Map(platformList.map((p) => [p.id, p])),
    notifiers: new Map(notifierList.map((n) => [n.type, n])),
  };
}

/** The configured chat bots (README, "Chat bots"), each a task that runs until its signal aborts. */
export function chatBots(deps: {
  readonly config: LoadedConfig['config']['bots'];
  readonly http: HttpClient;
  readonly store: Store;
  readonly catalog: Catalog;
  readonly sentinel: Sentinel;
  readonly registries: Registries;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly logger: Pino;
}): { name: string; run(signal: AbortSignal): Promise<void> }[] {
  const { config, http, store, catalog, sentinel, registries, clock, timers } = deps;
  const commands = (allowNewChannels: boolean, syntax: (name: BotCommandName) => string) =>
    new BotCommands({ store, catalog, sentinel, registries, clock, allowNewChannels, syntax });
  const bots: { name: string; run(signal: AbortSignal): Promise<void> }[] = [];
  const { matrix, telegram } = config;
  if (matrix) {
    bots.push({
      name: 'matrix',
      run: (signal) =>
        new MatrixBot({
          http,
          store,
          commands: commands(matrix.allowNewChannels, (name) => `${matrix.prefix} ${name}`),
          timers,
          logger: deps.logger.child({ component: 'matrix-bot' }),
          now: () => clock.now(),
          settings: matrix,
          pollTimeoutMs: 30_000,
          retryMs: 2_000,
        }).run(signal),
    });
  }
  if (telegram) {
    bots.push({
      name: 'telegram',
      run: (signal) =>
        new TelegramBot({
          http,
          store,
          commands: commands(telegram.allowNewChannels, (name) => `/${name}`),
          timers,
          logger: deps.logger.child({ component: 'telegram-bot' }),
          settings: telegram,
          pollTimeoutMs: 30_000,
          retryMs: 2_000,
        }).run(signal),
    });
  }
  return bots;
}

/** Loads and validates a config against the built-in registries (throws ConfigError). */
export function loadOnairConfig(
  file: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): LoadedConfig {
  const http = new UndiciHttpClient({ connectionsPerOrigin: 1, userAgent: USER_AGENT });
  try {
    return loadConfig({
      file,
      env,
      registries: createRegistries(
        http,
        { timeoutMs: 1, maxBytes: 1, deliveryTimeoutMs: 1 },
        systemClock,
      ),
    });
  } finally {
    void http.close();
  }
}

/** Readers, URL refresher and HLS proxy (README, "Playback and the HLS proxy"). */
export async function createPlayback(deps: {
  readonly config: {
    readonly refresh: { readonly interval: number; readonly closeAfter: number };
    readonly extractors: readonly ExtractorRule[];
    readonly poll: { readonly timeout: number };
    /** Defaults as in the config schema when absent. */
    readonly proxy?: {
      readonly cache: { readonly maxBytes: number; readonly perChannelMaxBytes: number };
      readonly allowAddresses: readonly string[];
      readonly maxPlaylistUris: number;
    };
  };
  readonly store: Pick<Store, 'getChannel' | 'getSetting' | 'setSetting'>;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly logger: Pino;
  readonly http: HttpClient;
}): Promise<
  PlaybackHttpDeps & {
    /** Segments shared by every reader; other connection pools read through it with `over`. */
    readonly segments: SegmentCache;
    stop(): Promise<void>;
  }
> {
  const { config, store, clock, timers } = deps;
  const proxy = config.proxy ?? configSchema.shape.proxy.parse({});
  const logger = deps.logger.child({ component: 'playback' });
  const extractorFor = extractorSelector(
    builtInExtractors({ http: deps.http, timeoutMs: config.poll.timeout, maxBytes: 4 * 1_048_576 }),
    config.extractors,
  );
  const refresher = new Refresher({
    clock,
    timers,
    logger,
    intervalMs: config.refresh.interval,
    retryMs: 2_000,
    timeoutMs: Math.max(config.poll.timeout, 30_000),
    channel: (id) => store.getChannel(id),
    extractorFor,
  });
  const readers = new Readers({
    clock,
    timers,
    closeAfterMs: config.refresh.closeAfter,
    // hls.js reloads a live playlist every target duration; half a minute of silence means it stopped.
    viewerIdleMs: 30_000,
    onActive: (id) => {
      refresher.activate(id);
    },
    onInactive: (id) => {
      refresher.deactivate(id);
    },
  });
  const undici = new UndiciUpstream({
    userAgent: USER_AGENT,
    connectionsPerOrigin: 128,
    maxPlaylistBytes: 4 * 1_048_576,
    allowAddresses: proxy.allowAddresses,
  });
  const segments = new SegmentCache({ clock, ...proxy.cache });
  const upstream = segments.over(undici);
  const playback = new Playback({
    clock,
    timers,
    logger,
    readers,
    refresher,
    sealer: new HmacTokenSealer(await proxySecret(store)),
    upstream,
    playlists: new SharedPlaylists({
      upstream,
      clock,
      fraction: 0.5,
      multivariantMs: 5_000,
      timeoutMs: 15_000,
    }),
    channelExists: async (id) => (await store.getChannel(id)) !== undefined,
    channelUrl: async (id) => (await store.getChannel(id))?.url,
    maxPlaylistUris: proxy.maxPlaylistUris,
    newViewerId: () => randomUUID(),
    basePath: '/api/v1/proxy',
    playlistTokenMs: 12 * 3_600_000,
    segmentTokenMs: 10 * 60_000,
  });
  return {
    playback,
    refresher,
    readers,
    segments,
    async stop() {
      readers.stop();
      refresher.stop();
      await undici.close();
    },
  };
}

export interface OnairOptions {
  readonly loaded: LoadedConfig;
  readonly logger: Pino;
  readonly clock?: Clock;
  readonly timers?: Timers;
  /** The clock of due times and leases (never stepped); goes with `timers`. */
  readonly monotonic?: MonotonicClock;
  readonly random?: () => number;
  /** Listen on the configured host and port (false: build only, for in-process tests). */
  readonly listen?: boolean;
  /** `all` (the default) does everything; `api` serves HTTP only; `worker` polls and delivers only. */
  readonly role?: Role;
}

/** Why this config cannot run in this role, or null. Roles other than `all` share work, so need both servers. */
export function roleProblem(
  config: Pick<LoadedConfig['config'], 'store' | 'jobs'>,
  role: Role,
): string | null {
  if (config.jobs.redis !== undefined && config.store.url === undefined)
    return 'jobs.redis needs store.url: workers share a PostgreSQL store, not a SQLite file';
  // PostgreSQL alone coordinates a cluster (due times, leases, broadcast); Redis is not needed.
  if (role !== 'all' && config.store.url === undefined)
    return `--role ${role} needs store.url (PostgreSQL): the processes of a cluster share it`;
  return null;
}

export interface Onair {
  readonly http: FastifyInstance;
  readonly store: Store;
  readonly sentinel: Sentinel;
  readonly poll: PollLoop;
  readonly delivery: DeliveryWorker;
  readonly catalog: Catalog;
  /** Live updates for the event stream (in memory, or the cluster's broadcast). */
  readonly bus: EventBus;
  /** Where poll and delivery work runs (in process, or BullMQ workers), with its leases. */
  readonly jobs: JobRuntime;
  /** Who is reading which channel (viewers, recorders, keepalives); active channels are kept fresh. */
  readonly readers: Readers;
  readonly keepalives: Keepalives;
  /** The recorder supervisor (README, "Recording"). */
  readonly recordings: Recordings;
  /** Twitch EventSub push, when `twitch` is configured: runs in whichever process holds its lease. */
  readonly twitchPush: LeasedPush | null;
  /** The admin token generated at this start (none configured, first start), else null. */
  readonly generatedAdminToken: string | null;
  /** `http://host:port` once listening. */
  readonly url: string | null;
  stop(): Promise<void>;
}

/**
 * The composition root: the only place that constructs adapters. What it opened is closed again,
 * last first, when a later step of the start fails (a busy port, an unreachable store).
 */
export async function startOnair(options: OnairOptions): Promise<Onair> {
  const opened = new Lifecycle(options.logger.child({ component: 'lifecycle' }));
  try {
    return await composeOnair(options, opened);
  } catch (error) {
    await opened.stop();
    throw error;
  }
}

async function composeOnair(options: OnairOptions, opened: Lifecycle): Promise<Onair> {
  const { config } = options.loaded;
  const clock = options.clock ?? systemClock;
  const timers = options.timers ?? systemTimers;
  const monotonic = options.monotonic ?? monotonicClock;
  const random = options.random ?? Math.random;
  const logger = options.logger;
  const http = new UndiciHttpClient({
    connectionsPerOrigin: Math.max(config.poll.concurrency, 16),
    userAgent: USER_AGENT,
  });
  await opened.start({ name: 'http client', stop: () => http.close() });
  const twitchSettings: TwitchSettings | null = config.twitch ?? null;
  const twitchApi = twitchSettings
    ? new TwitchApi({
        http,
        clock,
        timeoutMs: config.poll.timeout,
        maxBytes: config.poll.maxBytes,
        settings: twitchSettings,
      })
    : null;
  const registries = createRegistries(
    http,
    {
      timeoutMs: config.poll.timeout,
      maxBytes: config.poll.maxBytes,
      deliveryTimeoutMs: config.delivery.timeout,
      staleAfterMs: config.poll.staleAfter,
    },
    clock,
    twitchApi,
    config.extractors,
  );
  const role = options.role ?? 'all';
  const problem = roleProblem(config, role);
  if (problem !== null) throw new Error(problem);
  // A PostgreSQL store may be shared by several processes: decisions read state from the store,
  // deliveries are claimed, due times, leases and the broadcast go through the database.
  const cluster = config.store.url !== undefined;
  const store =
    config.store.url === undefined
      ? await openSqliteStore(join(config.dataDir, 'onair.db'))
      : await openPostgresStore(config.store.url, { poolSize: config.store.poolSize });
  await opened.start({ name: 'store', stop: () => store.close() });
  if (config.jobs.redis !== undefined)
    logger.warn('jobs.redis is no longer used: PostgreSQL alone coordinates a cluster');
  const coordinationLogger = logger.child({ component: 'coordination' });
  let coordination: Coordination;
  let dueTimes: DueTimes;
  if (config.store.url === undefined) {
    coordination = memoryCoordination({
      clock: monotonic,
      timers,
      logger: coordinationLogger,
      leaseMs: config.jobs.lease,
    });
    dueTimes = new MemoryDueTimes(monotonic);
  } else {
    const shared = await openPostgresCoordination({
      url: config.store.url,
      poolSize: 4,
      leaseMs: config.jobs.lease,
      clock: monotonic,
      timers,
      logger: coordinationLogger,
    });
    coordination = shared;
    dueTimes = shared.dueTimes;
  }
  const bus = coordination.bus;
  await opened.start({ name: 'coordination', stop: () => coordination.close() });
  const policy = {
    reconnectGraceMs: config.policy.reconnectGrace,
    notifyCooldownMs: config.policy.notifyCooldown,
    unreachableAfter: config.policy.unreachableAfter,
  };
  const sentinel: Sentinel = new Sentinel({
    store,
    clock,
    bus,
    logger,
    policy,
    readThrough: cluster,
    onDeliveriesQueued: () => {
      jobs.deliveriesQueued();
    },
  });
  const metrics = new PrometheusMetrics({
    channelsByStatus: () => sentinel.statusCounts(),
    outbox: () => store.countDeliveries(),
  });
  // Every background task runs under it: a failing store is logged, counted and retried, never fatal.
  const supervisor = new Supervisor({
    clock,
    timers,
    logger: logger.child({ component: 'supervisor' }),
    metrics,
    random,
    restart: { baseMs: 500, maxMs: 30_000 },
  });
  await opened.start({ name: 'supervisor', stop: () => supervisor.stop() });
  const delivery: DeliveryWorker = new DeliveryWorker({
    supervisor,
    store,
    notifiers: registries.notifiers,
    clock,
    timers,
    bus,
    logger,
    metrics,
    random,
    // In a cluster, a dead worker's claims fall due while nobody nudges: look often.
    idlePollMs: cluster ? 2_000 : 30_000,
    ...(cluster ? { claimMs: Math.max(60_000, 3 * config.delivery.timeout) } : {}),
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
    dueTimes,
    // Longer than a probe can take (its timeout, plus the decision's commit).
    claimMs: 2 * config.poll.timeout + 5_000,
    // Other processes of a cluster change due times too: look again this often.
    maxWaitMs: cluster ? config.jobs.tick : 60_000,
  });
  const jobs: JobRuntime = new InProcessJobs({
    poll,
    delivery,
    sentinel,
    role,
    reloadMs: cluster ? config.jobs.reload : null,
    timers,
    logger: logger.child({ component: 'jobs' }),
  });
  const twitchPush =
    twitchApi && twitchSettings
      ? new LeasedPush({
          leases: coordination.leases,
          name: 'twitch-push',
          ttlMs: coordination.leaseMs,
          logger: logger.child({ component: 'twitch-push' }),
          create: () =>
            new TwitchPush({
              sentinel,
              poll,
              api: new TwitchPushHelix(twitchApi, new TwitchPlatform(twitchApi)),
              eventsub: new EventSubWebSocketConnector({
                url: twitchSettings.eventsubUrl,
                clock,
                timers,
                logger: logger.child({ component: 'eventsub' }),
              }),
              timers,
              logger: logger.child({ component: 'twitch-push' }),
              maxTotalCost: 10,
              retryBaseMs: 1_000,
              retryMaxMs: 60_000,
              maxEmptySessions: 3,
            }),
        })
      : null;
  const catalog = new Catalog({ store, sentinel, poll, clock, registries });
  const auth = new Auth({ store, clock, sessionTtlMs: config.auth.sessionTtl });
  const generatedAdminToken = await auth.init(config.auth);
  const limiter = new FailureLimiter({
    clock,
    maxFailures: config.auth.failedAuth.maxFailures,
    windowMs: config.auth.failedAuth.window,
    maxTracked: 10_000,
  });
  // Workers follow what the api processes wrote; several processes syncing one file would race.
  if (role !== 'worker') await catalog.syncConfig(options.loaded.targets, options.loaded.channels);
  await sentinel.load();
  const playback = await createPlayback({ config, store, clock, timers, logger, http });
  const keepalives = new Keepalives({
    store,
    channels: store,
    readers: playback.readers,
    clock,
    timers,
    bus,
    logger: logger.child({ component: 'keepalives' }),
    defaultTtlMs: config.keepalives.defaultTtl,
    maxTtlMs: config.keepalives.maxTtl,
    userExists: (name) =>
      auth.getUser(name).then(
        () => true,
        (err: unknown) => {
          // Only "no such user" means gone; a store failure must not drop anyone's keepalives.
          if (err instanceof AppError && err.code === 'notFound') return false;
          throw err;
        },
      ),
    reading: {
      player: playback.playback,
      clock,
      timers,
      retryMs: 2_000,
      retryMaxMs: 30_000,
    },
  });
  catalog.onChannelDeleted((channelId) => keepalives.channelDeleted(channelId));
  await keepalives.start();
  // Recording (README, "Recording"): segments and FLV come over their own connection pool, apart from viewers'.
  const recorderUpstream = new UndiciUpstream({
    userAgent: USER_AGENT,
    connectionsPerOrigin: 64,
    maxPlaylistBytes: 4 * 1_048_576,
    allowAddresses: config.proxy.allowAddresses,
  });
  const ffmpeg = config.recordings.remux ? findFfmpeg() : null;
  if (config.recordings.remux && ffmpeg === null)
    logger.warn('recordings.remux is on but ffmpeg is not installed: parts stay as recorded');
  const recordings = new Recordings({
    store,
    keepalives: store,
    channel: (id) => sentinel.channel(id),
    channelIds: () => sentinel.channelIds(),
    channelState: (id) => sentinel.state(id),
    bus,
    readers: playback.readers,
    refresher: playback.refresher,
    // Through the viewers' segment cache: a segment a viewer fetched is not fetched again.
    upstream: playback.segments.over(recorderUpstream),
    files: new FsRecordingFiles(config.recordings.dir ?? join(config.dataDir, 'recordings')),
    remuxer: ffmpeg === null ? null : new FfmpegRemuxer(ffmpeg),
    leases: coordination.leases,
    clock,
    timers,
    logger: logger.child({ component: 'recorder' }),
    settings: {
      minFreeBytes: config.recordings.minFreeSpace,
      keep: {
        maxAgeMs: config.recordings.keep.maxAge ?? null,
        maxBytes: config.recordings.keep.maxSize ?? null,
      },
      remux: config.recordings.remux,
      template: config.recordings.template,
      quality: config.recordings.quality,
      stallTargets: 4,
      stallMs: config.recordings.stallAfter,
      segmentRetries: 3,
      retryMs: 5_000,
      retentionEveryMs: 3_600_000,
    },
    manualStore: store,
  });
  catalog.onChannelDeleted((channelId) => recordings.channelDeleted(channelId));
  const app = await buildHttpApp(
    {
      catalog,
      store,
      sentinel,
      poll,
      auth,
      limiter,
      keepalives,
      bus,
      notifiers: registries.notifiers,
      metrics: {
        contentType: metrics.registry.contentType,
        text: () => metrics.registry.metrics(),
      },
      logger: logger.child({ component: 'http' }),
      health: () => supervisor.health(),
      heartbeatMs: 15_000,
      eventStream: config.eventStream,
      clock,
    },
    playback,
    recordings,
  );
  await opened.start({ name: 'http server', stop: () => app.close() });
  const schedule = new Schedule({
    store,
    http,
    clock,
    logger: logger.child({ component: 'schedule' }),
    feeds: config.schedules.map((s) => ({ url: s.url, channel: s.channel, refreshMs: s.refresh })),
    platforms: twitchApi ? [new TwitchScheduleReader(twitchApi)] : [],
    channelStates: () => sentinel.channelIds().map((id) => [id, sentinel.state(id)] as const),
    timeoutMs: config.poll.timeout,
    maxBytes: 8 * 1_048_576,
  });
  const calendarKeys = new CalendarKeys({ store, auth, clock });
  // Built next to the server by `npm run build`; without it onair serves the API only.
  const webRoot = fileURLToPath(new URL('../dist/web/', import.meta.url));
  const hasWeb = existsSync(join(webRoot, 'index.html'));
  if (!hasWeb) logger.warn({ webRoot }, 'web app not built: serving the API only');
  await registerWebApp(app, {
    schedule,
    calendarKeys,
    clock,
    platforms: registries.platforms,
    checkTimeoutMs: 15_000,
    webRoot: hasWeb ? webRoot : null,
  });
  let url: string | null = null;
  if (options.listen !== false && role !== 'worker') {
    url = await app.listen({ host: config.server.host, port: config.server.port });
  } else {
    await app.ready();
  }
  supervisor.every('flush-states', 1_000, () => sentinel.flush(false), 1_000);
  // Bounded history: events and finished deliveries older than history.retention go.
  supervisor.every(
    'prune-history',
    3_600_000,
    async () => {
      const pruned = await store.pruneHistory(clock.now() - config.history.retention);
      if (pruned.events + pruned.deliveries > 0) logger.info(pruned, 'history pruned');
    },
    60_000,
  );
  // A small write now and then: reads may still work while writes fail (a locked SQLite file).
  supervisor.every('store', 5_000, () => store.setSetting('health.checkedAt', String(clock.now())));
  await jobs.start();
  // One process runs each chat bot (a lease), so a command is answered once in a cluster too.
  const botRuns =
    role === 'api'
      ? []
      : chatBots({
          config: config.bots,
          http,
          store,
          catalog,
          sentinel,
          registries,
          clock,
          timers,
          logger,
        }).map((bot) =>
          coordination.leases.singleton(`bot:${bot.name}`, 30_000, (lease) =>
            bot.run(lease.signal),
          ),
        );
  // The api role serves recordings but records nothing: workers (or the one process) do.
  if (role !== 'api') await recordings.start();
  // One EventSub session however many processes run: workers (or the one process) compete for it.
  if (role !== 'api') twitchPush?.start();
  // Calendar feeds and platform schedules: refreshed now and on their intervals.
  for (const task of schedule.tasks()) supervisor.every(task.name, task.everyMs, () => task.run());
  logger.info({ channels: sentinel.channelIds().length, url, role }, 'onair started');

  let stopped: Promise<void> | null = null;
  return {
    http: app,
    store,
    sentinel,
    poll,
    delivery,
    catalog,
    bus,
    jobs,
    twitchPush,
    readers: playback.readers,
    keepalives,
    recordings,
    generatedAdminToken,
    url,
    stop() {
      stopped ??= (async () => {
        for (const run of botRuns) await run.stop();
        await twitchPush?.stop();
        await app.close();
        keepalives.stop();
        await recordings.stop();
        await recorderUpstream.close();
        await playback.stop();
        await jobs.stop();
        await supervisor.stop();
        await sentinel.flush();
        await coordination.close();
        await store.close();
        await http.close();
      })();
      return stopped;
    },
  };
}
