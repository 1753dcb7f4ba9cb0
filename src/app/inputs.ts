import { z } from 'zod';
import { compileTemplate } from '../core/messages/template.js';
import { templateProblem } from '../core/recording/naming.js';
import { qualityProblem } from '../core/recording/quality.js';
import { EVENT_KINDS, type Channel, type EventKind } from '../core/model.js';
import { parseDuration } from '../core/time.js';
import type { Notifier, OptionIssue, Target } from '../ports/notifier.js';
import type { PlatformAdapter } from '../ports/platform.js';
import type { Subscription } from '../ports/store.js';

/** Input shapes shared by the config file and the API: a channel or target is written the same way in both. */

export const idSchema = z
  .string({ error: 'must be a string' })
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/,
    'must be 1–64 letters, digits, `_`, `-` or `.`, starting with a letter or digit',
  );

const ZONED_DATE_TIME =
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/i;
const LOCAL_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?$/;

/**
 * An ISO 8601 date-time that names its zone (`Z` or an offset); seconds are optional. A local
 * time is refused with what to add, since onair cannot know which zone was meant.
 */
export const zonedDateTimeSchema = z.string().superRefine((value, ctx) => {
  if (ZONED_DATE_TIME.test(value) && !Number.isNaN(Date.parse(value))) return;
  ctx.addIssue({
    code: 'custom',
    message: LOCAL_DATE_TIME.test(value)
      ? `"${value}" has no time zone: add Z for UTC or an offset such as +01:00 (${value}Z)`
      : 'must be an ISO 8601 date-time with a time zone, like 2026-12-05T20:00Z or 2026-12-05T20:00+01:00',
  });
});

/** A duration string (`200ms`, `5s`, `10m`, `1h`) as milliseconds. */
export const durationSchema = z
  .string({ error: 'must be a duration string like 30s' })
  .transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `"${text}" is not a duration like 200ms, 5s, 10m or 1h (at most 36500d)`,
      });
      return z.NEVER;
    }
    return ms;
  });

/** A per-target rate limit: at most `count` sends in any `perMs` window. */
export interface RateLimit {
  readonly count: number;
  readonly perMs: number;
}

/** Parses `5/2s` (five per two seconds) or `30/1m`; undefined when malformed. */
export function parseRateLimit(text: string): RateLimit | undefined {
  const match = /^\s*(\d+)\s*\/\s*(\S+)\s*$/.exec(text);
  if (!match) return undefined;
  const count = Number(match[1]);
  const perMs = parseDuration(match[2] ?? '');
  return count >= 1 && perMs !== undefined && perMs > 0 ? { count, perMs } : undefined;
}

export const DEFAULT_EVENTS: readonly EventKind[] = ['live', 'title'];

/** What to do with a session's live message when the stream ends (targets that cannot edit post instead). */
export const OFFLINE_ACTIONS = ['edit', 'delete', 'none'] as const;
export type OfflineAction = (typeof OFFLINE_ACTIONS)[number];

/** A message template (`{{channel.name}} is live: {{title}}`), compiled once here so mistakes fail at load. */
const templateSource = z.string({ error: 'must be a string' }).superRefine((source, ctx) => {
  const compiled = compileTemplate(source);
  if (!compiled.ok) ctx.addIssue({ code: 'custom', message: compiled.error });
});
const templatesSchema = z.strictObject({
  live: templateSource.optional(),
  title: templateSource.optional(),
  offline: templateSource.optional(),
});

const subscriptionSchema = z.union([
  idSchema,
  z.strictObject({
    target: idSchema,
    events: z
      .array(z.enum(EVENT_KINDS as [EventKind, ...EventKind[]]))
      .min(1)
      .optional(),
    onOffline: z.enum(OFFLINE_ACTIONS).optional(),
    /** Per-event message text overriding the target kind's default. */
    template: templatesSchema.optional(),
  }),
]);

/** A subscription's notifier wishes, kept in `Subscription.options`. */
export interface SubscriptionWishes {
  readonly onOffline: OfflineAction;
  readonly template: Readonly<Partial<Record<EventKind, string>>>;
}

const wishesSchema = z.object({
  onOffline: z.enum(OFFLINE_ACTIONS).catch('none').default('none'),
  template: z
    .partialRecord(z.enum(EVENT_KINDS as [EventKind, ...EventKind[]]), z.string())
    .catch({})
    .default({}),
});

/** Reads the wishes of a stored subscription (none when there is no subscription any more). */
export function subscriptionWishes(subscription: Subscription | undefined): SubscriptionWishes {
  return wishesSchema.parse(subscription?.options ?? {});
}

/** A recording file name template (`{channel}/{date}/{time}-{title}.ts`), checked at load. */
export const recordingTemplateSchema = z
  .string({ error: 'must be a string' })
  .superRefine((template, ctx) => {
    const problem = templateProblem(template);
    if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
  });

/** `best`, `worst`, a height like `720p`, or a stream label. */
export const recordingQualitySchema = z
  .string({ error: 'must be a string' })
  .superRefine((quality, ctx) => {
    const problem = qualityProblem(quality);
    if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
  });

/** A channel's `record`: `true` (the `recordings:` defaults) or its own quality and template. */
export const recordSchema = z.union([
  z.boolean({ error: 'must be true, false or { quality, template }' }),
  z.strictObject({
    quality: recordingQualitySchema.optional(),
    template: recordingTemplateSchema.optional(),
  }),
]);

export const channelSchema = z.strictObject({
  id: idSchema,
  platform: z.string({ error: 'is required' }).min(1),
  url: z.string({ error: 'is required' }).min(1),
  name: z.string().min(1).max(200).optional(),
  interval: durationSchema.optional(),
  notify: z.array(subscriptionSchema).default([]),
  /** Shared secret for push webhooks from the platform (Owncast). */
  webhookSecret: z.string().min(8).optional(),
  /** Record while live (README, "Recording"). */
  record: recordSchema.optional(),
});
export type ChannelInput = z.output<typeof channelSchema>;

/** `type` may be left out when `url` is an Apprise-style shorthand (`ntfy://…`, `mqtt://…`) naming the kind. */
export const targetSchema = z.looseObject({
  id: idSchema,
  type: z.string({ error: 'must be a string' }).min(1).optional(),
});
export type TargetInput = z.output<typeof targetSchema>;

export interface Registries {
  readonly platforms: ReadonlyMap<string, PlatformAdapter>;
  readonly notifiers: ReadonlyMap<string, Notifier>;
}

/** Checks a parsed channel against the registries; returns the domain values or every issue. */
export function toChannel(
  input: ChannelInput,
  registries: Registries,
):
  | { ok: true; channel: Channel; subscriptions: Subscription[] }
  | { ok: false; issues: OptionIssue[] } {
  const issues: OptionIssue[] = [];
  const platform = registries.platforms.get(input.platform);
  if (!platform) {
    issues.push({
      path: 'platform',
      message: `unknown platform "${input.platform}" (known: ${[...registries.platforms.keys()].join(', ')})`,
    });
  } else {
    const problem = platform.validateUrl(input.url);
    if (problem !== null) issues.push({ path: 'url', message: problem });
  }
  if (input.interval !== undefined && input.interval < 1_000)
    issues.push({ path: 'interval', message: 'must be at least 1s' });
  const subscriptions: Subscription[] = [];
  const seen = new Set<string>();
  input.notify.forEach((entry, i) => {
    const targetId = typeof entry === 'string' ? entry : entry.target;
    if (seen.has(targetId))
      issues.push({ path: `notify.${i}`, message: `target "${targetId}" is listed twice` });
    seen.add(targetId);
    subscriptions.push({
      channelId: input.id,
      targetId,
      events: typeof entry === 'string' ? DEFAULT_EVENTS : (entry.events ?? DEFAULT_EVENTS),
      options:
        typeof entry === 'string'
          ? {}
          : {
              ...(entry.onOffline ? { onOffline: entry.onOffline } : {}),
              ...(entry.template ? { template: entry.template } : {}),
            },
    });
  });
  if (issues.length > 0) return { ok: false, issues };
  const options: Record<string, unknown> = {};
  if (input.webhookSecret !== undefined) options['webhookSecret'] = input.webhookSecret;
  if (input.record !== undefined && input.record !== false) options['record'] = input.record;
  return {
    ok: true,
    channel: {
      id: input.id,
      platform: input.platform,
      url: input.url,
      name: input.name ?? null,
      intervalMs: input.interval ?? null,
      options,
    },
    subscriptions,
  };
}

/**
 * Checks a parsed target against the notifier registry. A `url` with a notifier's shorthand
 * scheme (`ntfy://host/topic`) is expanded into that notifier's options (explicit options win)
 * and names the type. `rateLimit` (`5/2s`) is common to every kind and read by the delivery worker.
 */
export function toTarget(
  input: TargetInput,
  registries: Registries,
): { ok: true; target: Target } | { ok: false; issues: OptionIssue[] } {
  const { id, type, rateLimit, ...rest } = input;
  const known = () => [...registries.notifiers.keys()].join(', ');
  const issues: OptionIssue[] = [];
  let kind = type;
  let raw: Record<string, unknown> = rest;
  const url = rest['url'];
  const scheme =
    typeof url === 'string'
      ? /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase()
      : undefined;
  if (scheme !== undefined && scheme !== 'http' && scheme !== 'https') {
    const byScheme = [...registries.notifiers.values()].find((n) => n.schemes.includes(scheme));
    if (!byScheme) {
      const schemes = [...registries.notifiers.values()].flatMap((n) =>
        n.schemes.map((s) => `${s}://`),
      );
      return {
        ok: false,
        issues: [
          { path: 'url', message: `unknown scheme ${scheme}:// (known: ${schemes.join(', ')})` },
        ],
      };
    }
    if (type !== undefined && type !== byScheme.type) {
      return {
        ok: false,
        issues: [
          {
            path: 'type',
            message: `"${type}" does not match the ${scheme}:// URL (a ${byScheme.type} target)`,
          },
        ],
      };
    }
    const expanded = byScheme.optionsFromUrl(url as string);
    if (!expanded.ok) return expanded;
    const { url: _shorthand, ...explicit } = rest;
    raw = { ...expanded.options, ...explicit };
    kind = byScheme.type;
  }
  if (kind === undefined)
    return {
      ok: false,
      issues: [
        {
          path: 'type',
          message: `is required unless url is a shorthand like ntfy://host/topic (types: ${known()})`,
        },
      ],
    };
  const notifier = registries.notifiers.get(kind);
  if (!notifier)
    return {
      ok: false,
      issues: [{ path: 'type', message: `unknown target type "${kind}" (known: ${known()})` }],
    };
  if (
    rateLimit !== undefined &&
    (typeof rateLimit !== 'string' || parseRateLimit(rateLimit) === undefined)
  ) {
    issues.push({ path: 'rateLimit', message: 'must be sends per duration, like 5/2s or 30/1m' });
  }
  const parsed = notifier.parseOptions(raw);
  if (!parsed.ok) issues.push(...parsed.issues);
  if (!parsed.ok || issues.length > 0) return { ok: false, issues };
  return {
    ok: true,
    target: {
      id,
      type: kind,
      options: rateLimit === undefined ? parsed.options : { ...parsed.options, rateLimit },
    },
  };
}

/** zod issues as `path: message` pairs. */
export function zodIssues(error: z.ZodError, prefix = ''): OptionIssue[] {
  return error.issues.map((issue) => ({
    path: [prefix, ...issue.path.map(String)].filter((p) => p !== '').join('.'),
    message: issue.message,
  }));
}
