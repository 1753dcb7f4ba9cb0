import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { authConfigSchema } from '../app/auth.js';
import {
  channelSchema,
  durationSchema,
  idSchema,
  recordingQualitySchema,
  recordingTemplateSchema,
  targetSchema,
} from '../app/inputs.js';
import { DEFAULT_TEMPLATE, parseSize } from '../core/recording/naming.js';
import { trimTrailingSlashes } from '../core/text.js';

const port = z.coerce.number({ error: 'must be a port number' }).int().min(0).max(65535);
const positiveInt = z.coerce.number({ error: 'must be a number' }).int().positive();
const baseUrl = (protocol: RegExp, fallback: string) =>
  z
    .url({ protocol, error: 'must be an absolute URL' })
    .default(fallback)
    .transform(trimTrailingSlashes);

/** A size (`2GB`, `500MiB`, a number of bytes) as bytes; units are powers of 1024. */
const sizeSchema = z.union([z.number().int().nonnegative(), z.string()]).transform((value, ctx) => {
  const bytes = typeof value === 'number' ? value : parseSize(value);
  if (bytes === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${String(value)}" is not a size like 500MB or 2GB` });
    return z.NEVER;
  }
  return bytes;
});

/** The config file (a contract: extend it, never rename). Defaults make an empty file valid. */
export const configSchema = z.strictObject({
  server: z
    .strictObject({ host: z.string().default('127.0.0.1'), port: port.default(8080) })
    .prefault({}),
  dataDir: z.string().min(1).default('./data'),
  /** `GET /api/v1/events/stream`: open streams per user and in all, unread bytes, replay depth. */
  eventStream: z
    .strictObject({
      perUser: positiveInt.max(10_000).default(8),
      total: positiveInt.max(1_000_000).default(512),
      maxUnsentBytes: sizeSchema.default(1_048_576),
      replay: positiveInt.max(100_000).default(1_000),
    })
    .prefault({}),
  /** Unset: embedded SQLite under dataDir. A PostgreSQL URL: the shared store of a scaled-out deployment. */
  store: z
    .strictObject({
      url: z
        .string()
        .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
        .optional(),
      poolSize: positiveInt.max(1_000).default(10),
    })
    .prefault({}),
  /** Unset: poll and deliver in this process. A Redis URL: share the work among workers through BullMQ. */
  jobs: z
    .strictObject({
      redis: z
        .string()
        .regex(/^rediss?:\/\//, 'must be a redis:// URL')
        .optional(),
      /** Prefix of every Redis key; one per deployment sharing a Redis. */
      prefix: z
        .string()
        .regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only')
        .default('onair'),
      /** Channels are hashed into this many shards; a shard is polled by one worker at a time. */
      shards: positiveInt.max(10_000).default(64),
      /** How often each shard's tick fires (the granularity of poll intervals). */
      tick: durationSchema.prefault('5s'),
      /** A dead worker's shards and singletons are taken over within this time. */
      lease: durationSchema.prefault('15s'),
      /** Shard ticks one worker runs at a time. */
      shardConcurrency: positiveInt.max(1_000).default(4),
      /** How often api and worker processes re-read channels and states from the store. */
      reload: durationSchema.prefault('5s'),
    })
    .prefault({}),
  poll: z
    .strictObject({
      interval: durationSchema.prefault('60s'),
      concurrency: positiveInt.max(10_000).default(64),
      timeout: durationSchema.prefault('10s'),
      /** Largest platform response read, in bytes. */
      maxBytes: positiveInt.default(1_048_576),
      /** Longest wait between probes of a failing channel. */
      maxBackoff: durationSchema.prefault('5m'),
      /**
       * A stream that stops advancing (a frozen HLS playlist: `max(3 × target duration, this)`;
       * an FLV stream without a tag) for this long counts as offline, reason `stalled`.
       */
      staleAfter: durationSchema.prefault('30s'),
    })
    .prefault({}),
  policy: z
    .strictObject({
      reconnectGrace: durationSchema.prefault('10m'),
      notifyCooldown: durationSchema.prefault('0s'),
      unreachableAfter: positiveInt.default(3),
    })
    .prefault({}),
  delivery: z
    .strictObject({
      concurrency: positiveInt.max(1_000).default(16),
      timeout: durationSchema.prefault('10s'),
      maxAttempts: positiveInt.default(50),
      backoffBase: durationSchema.prefault('1s'),
      backoffMax: durationSchema.prefault('10m'),
    })
    .prefault({}),
  auth: authConfigSchema.prefault({}),
  keepalives: z
    .strictObject({
      /** TTL of a keepalive created without one. */
      defaultTtl: durationSchema.prefault('30m'),
      /** Longest TTL a keepalive may ask for. */
      maxTtl: durationSchema.prefault('30d'),
    })
    .prefault({}),
  /** Keeping playable URLs of active channels fresh (README, "Playback and the HLS proxy"). */
  refresh: z
    .strictObject({
      /** Re-resolve period when a URL carries no readable expiry. */
      interval: durationSchema.prefault('4m'),
      /** How long a channel stays active after its last reader left. */
      closeAfter: durationSchema.prefault('10s'),
    })
    .prefault({}),
  /** The HLS proxy (README, "Playback and the HLS proxy"). */
  proxy: z
    .strictObject({
      /** Segments shared by every viewer, keepalive and recorder of a channel (one origin fetch each). */
      cache: z
        .strictObject({
          /** Bytes held for all channels; least recently used segments go first. */
          maxBytes: sizeSchema.default(256 * 1_048_576),
          /** Bytes held for one channel; 0 turns the cache off. */
          perChannelMaxBytes: sizeSchema.default(64 * 1_048_576),
        })
        .prefault({}),
      /**
       * Addresses and CIDRs the proxy may fetch playlist URIs and redirects from besides public
       * ones (loopback, private, link-local and metadata addresses are refused otherwise, unless
       * the channel's own origin is there).
       */
      allowAddresses: z
        .array(
          z
            .string()
            .refine(
              (entry) => (entry.includes('/') ? ipaddr.isValidCIDR(entry) : ipaddr.isValid(entry)),
              {
                message: 'must be an IP address or a CIDR like 10.0.0.0/8',
              },
            ),
        )
        .default([]),
      /** Most URIs one upstream playlist may list; a longer one is refused. */
      maxPlaylistUris: positiveInt.max(1_000_000).default(20_000),
    })
    .prefault({}),
  /** Which extractor finds a channel's playable URLs; the first matching rule wins, else the one named like the platform. */
  extractors: z
    .array(
      z
        .strictObject({
          use: z.enum(['owncast', 'hls', 'streamlink', 'plugin']),
          /** For `use: plugin`: the module's path (relative to the working directory). */
          module: z.string().min(1).optional(),
          channels: z.array(z.string().min(1)).min(1).optional(),
          platform: z.string().min(1).optional(),
        })
        .refine((rule) => (rule.use === 'plugin') === (rule.module !== undefined), {
          message: '`module` is required with `use: plugin`, and only then',
          path: ['module'],
        }),
    )
    .default([]),
  /** Recording what is live (README, "Recording"). */
  recordings: z
    .strictObject({
      /** Where parts are written; default `<dataDir>/recordings`. */
      dir: z.string().min(1).optional(),
      /** Below this much free space no part starts (and recording stops when the disk is full). */
      minFreeSpace: sizeSchema.default(1024 ** 3),
      /** Retention: finished parts older than `maxAge`, or the oldest beyond `maxSize` in total, are deleted. */
      keep: z
        .strictObject({ maxAge: durationSchema.optional(), maxSize: sizeSchema.optional() })
        .prefault({}),
      /** Remux each finished part to MP4 (faststart) with a thumbnail, when ffmpeg is installed. */
      remux: z.boolean().default(false),
      /** Defaults for `record: true`. */
      template: recordingTemplateSchema.default(DEFAULT_TEMPLATE),
      quality: recordingQualitySchema.default('best'),
      /**
       * A part ends (after one re-resolve) when nothing new arrives for this long: FLV no byte;
       * HLS no new segment, and never sooner than four target durations.
       */
      stallAfter: durationSchema.prefault('15s'),
    })
    .prefault({}),
  log: z
    .strictObject({
      level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
      /** `auto`: human-readable lines on a terminal, JSON lines otherwise (files, journald, collectors). */
      format: z.enum(['auto', 'json', 'pretty']).default('auto'),
    })
    .prefault({}),
  /** How long events and finished deliveries are kept; older ones are pruned every hour. */
  history: z.strictObject({ retention: durationSchema.prefault('90d') }).prefault({}),
  targets: z.array(targetSchema).default([]),
  channels: z.array(channelSchema).default([]),
  /** iCalendar feeds shown on the schedule; `channel` ties a feed's events to one channel. */
  schedules: z
    .array(
      z.strictObject({
        url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
        channel: idSchema.optional(),
        refresh: durationSchema.prefault('1h'),
      }),
    )
    .default([]),
  /** Twitch app credentials (Helix polling); `userToken` enables EventSub push for a few channels. */
  twitch: z
    .strictObject({
      clientId: z.string().min(1),
      clientSecret: z.string().min(1),
      userToken: z.string().min(1).optional(),
      apiBase: baseUrl(/^https?$/, 'https://api.twitch.tv/helix'),
      authBase: baseUrl(/^https?$/, 'https://id.twitch.tv'),
      eventsubUrl: baseUrl(/^wss?$/, 'wss://eventsub.wss.twitch.tv/ws'),
    })
    .optional(),
  /** Chat bots people subscribe rooms with (README, "Chat bots"). */
  bots: z
    .strictObject({
      matrix: z
        .strictObject({
          homeserver: baseUrl(/^https?$/, 'https://matrix.org'),
          accessToken: z.string().min(1).optional(),
          user: z.string().min(1).optional(),
          password: z.string().min(1).optional(),
          prefix: z.string().regex(/^\S+$/, 'one word, like !onair').default('!onair'),
          minPowerLevel: z.number().int().default(50),
          allowNewChannels: z.boolean().default(false),
        })
        .refine(
          (m) => m.accessToken !== undefined || (m.user !== undefined && m.password !== undefined),
          {
            message: 'needs accessToken, or user and password',
          },
        )
        .optional(),
      telegram: z
        .strictObject({
          botToken: z.string().regex(/^\d+:[A-Za-z0-9_-]+$/, 'must look like 123456:ABC-def'),
          apiUrl: baseUrl(/^https?$/, 'https://api.telegram.org'),
          allowNewChannels: z.boolean().default(false),
        })
        .optional(),
    })
    .prefault({}),
});

export type Config = z.output<typeof configSchema>;

/** Scalar settings that `ONAIR_*` environment variables may override (name from the path). */
export const ENV_PATHS: readonly (readonly string[])[] = [
  ['server', 'host'],
  ['server', 'port'],
  ['dataDir'],
  ['store', 'url'],
  ['store', 'poolSize'],
  ['jobs', 'redis'],
  ['jobs', 'prefix'],
  ['jobs', 'shards'],
  ['jobs', 'tick'],
  ['jobs', 'lease'],
  ['jobs', 'shardConcurrency'],
  ['jobs', 'reload'],
  ['poll', 'interval'],
  ['poll', 'concurrency'],
  ['poll', 'timeout'],
  ['poll', 'maxBytes'],
  ['poll', 'maxBackoff'],
  ['poll', 'staleAfter'],
  ['policy', 'reconnectGrace'],
  ['policy', 'notifyCooldown'],
  ['policy', 'unreachableAfter'],
  ['delivery', 'concurrency'],
  ['delivery', 'timeout'],
  ['delivery', 'maxAttempts'],
  ['delivery', 'backoffBase'],
  ['delivery', 'backoffMax'],
  ['refresh', 'interval'],
  ['refresh', 'closeAfter'],
  ['recordings', 'dir'],
  ['recordings', 'minFreeSpace'],
  ['recordings', 'stallAfter'],
  ['auth', 'adminToken'],
  ['log', 'level'],
  ['log', 'format'],
  ['twitch', 'clientId'],
  ['twitch', 'clientSecret'],
  ['twitch', 'userToken'],
  ['bots', 'matrix', 'accessToken'],
  ['bots', 'matrix', 'password'],
  ['bots', 'telegram', 'botToken'],
];

/** Short aliases people expect. */
export const ENV_ALIASES: Readonly<Record<string, string>> = {
  ONAIR_ADMIN_TOKEN: 'ONAIR_AUTH_ADMIN_TOKEN',
};
