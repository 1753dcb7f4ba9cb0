import { z } from 'zod';
import { channelSchema, durationSchema, idSchema, targetSchema } from '../app/inputs.js';

const port = z.coerce.number({ error: 'must be a port number' }).int().min(0).max(65535);
const positiveInt = z.coerce.number({ error: 'must be a number' }).int().positive();
const baseUrl = (protocol: RegExp, fallback: string) =>
  z
    .url({ protocol, error: 'must be an absolute URL' })
    .default(fallback)
    .transform((url) => url.replace(/\/+$/, ''));

/** The config file (a contract: extend it, never rename). Defaults make an empty file valid. */
export const configSchema = z.strictObject({
  server: z.strictObject({ host: z.string().default('127.0.0.1'), port: port.default(8080) }).prefault({}),
  dataDir: z.string().min(1).default('./data'),
  poll: z
    .strictObject({
      interval: durationSchema.prefault('60s'),
      concurrency: positiveInt.max(10_000).default(64),
      timeout: durationSchema.prefault('10s'),
      /** Largest platform response read, in bytes. */
      maxBytes: positiveInt.default(1_048_576),
      /** Longest wait between probes of a failing channel. */
      maxBackoff: durationSchema.prefault('5m'),
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
  auth: z.strictObject({ adminToken: z.string().min(8, 'must be at least 8 characters').optional() }).prefault({}),
  log: z.strictObject({ level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info') }).prefault({}),
  targets: z.array(targetSchema).default([]),
  channels: z.array(channelSchema).default([]),
  /** iCalendar feeds shown on the schedule; `channel` ties a feed's events to one channel. */
  schedules: z
    .array(z.strictObject({ url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }), channel: idSchema.optional(), refresh: durationSchema.prefault('1h') }))
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
});

export type Config = z.output<typeof configSchema>;

/** Scalar settings that `ONAIR_*` environment variables may override (name from the path). */
export const ENV_PATHS: readonly (readonly string[])[] = [
  ['server', 'host'],
  ['server', 'port'],
  ['dataDir'],
  ['poll', 'interval'],
  ['poll', 'concurrency'],
  ['poll', 'timeout'],
  ['poll', 'maxBytes'],
  ['poll', 'maxBackoff'],
  ['policy', 'reconnectGrace'],
  ['policy', 'notifyCooldown'],
  ['policy', 'unreachableAfter'],
  ['delivery', 'concurrency'],
  ['delivery', 'timeout'],
  ['delivery', 'maxAttempts'],
  ['delivery', 'backoffBase'],
  ['delivery', 'backoffMax'],
  ['auth', 'adminToken'],
  ['log', 'level'],
  ['twitch', 'clientId'],
  ['twitch', 'clientSecret'],
  ['twitch', 'userToken'],
];

/** Short aliases people expect. */
export const ENV_ALIASES: Readonly<Record<string, string>> = { ONAIR_ADMIN_TOKEN: 'ONAIR_AUTH_ADMIN_TOKEN' };
