import { z } from 'zod';
import { EVENT_KINDS, type Channel, type EventKind } from '../core/model.js';
import { parseDuration } from '../core/time.js';
import type { Notifier, OptionIssue, Target } from '../ports/notifier.js';
import type { PlatformAdapter } from '../ports/platform.js';
import type { Subscription } from '../ports/store.js';

/** Input shapes shared by the config file and the API: a channel or target is written the same way in both. */

export const idSchema = z
  .string({ error: 'must be a string' })
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'must be 1–64 letters, digits, `_`, `-` or `.`, starting with a letter or digit');

/** A duration string (`200ms`, `5s`, `10m`, `1h`) as milliseconds. */
export const durationSchema = z.string({ error: 'must be a duration string like 30s' }).transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration like 200ms, 5s, 10m or 1h` });
    return z.NEVER;
  }
  return ms;
});

export const DEFAULT_EVENTS: readonly EventKind[] = ['live', 'title'];

const subscriptionSchema = z.union([
  idSchema,
  z.strictObject({
    target: idSchema,
    events: z.array(z.enum(EVENT_KINDS as [EventKind, ...EventKind[]])).min(1).optional(),
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
});
export type ChannelInput = z.output<typeof channelSchema>;

export const targetSchema = z.looseObject({
  id: idSchema,
  type: z.string({ error: 'is required' }).min(1),
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
): { ok: true; channel: Channel; subscriptions: Subscription[] } | { ok: false; issues: OptionIssue[] } {
  const issues: OptionIssue[] = [];
  const platform = registries.platforms.get(input.platform);
  if (!platform) {
    issues.push({ path: 'platform', message: `unknown platform "${input.platform}" (known: ${[...registries.platforms.keys()].join(', ')})` });
  } else {
    const problem = platform.validateUrl(input.url);
    if (problem !== null) issues.push({ path: 'url', message: problem });
  }
  if (input.interval !== undefined && input.interval < 1_000) issues.push({ path: 'interval', message: 'must be at least 1s' });
  const subscriptions: Subscription[] = [];
  const seen = new Set<string>();
  input.notify.forEach((entry, i) => {
    const targetId = typeof entry === 'string' ? entry : entry.target;
    if (seen.has(targetId)) issues.push({ path: `notify.${i}`, message: `target "${targetId}" is listed twice` });
    seen.add(targetId);
    subscriptions.push({
      channelId: input.id,
      targetId,
      events: typeof entry === 'string' ? DEFAULT_EVENTS : (entry.events ?? DEFAULT_EVENTS),
      options: {},
    });
  });
  if (issues.length > 0) return { ok: false, issues };
  const options: Record<string, unknown> = {};
  if (input.webhookSecret !== undefined) options['webhookSecret'] = input.webhookSecret;
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

/** Checks a parsed target against the notifier registry. */
export function toTarget(input: TargetInput, registries: Registries): { ok: true; target: Target } | { ok: false; issues: OptionIssue[] } {
  const { id, type, ...rest } = input;
  const notifier = registries.notifiers.get(type);
  if (!notifier) {
    return { ok: false, issues: [{ path: 'type', message: `unknown target type "${type}" (known: ${[...registries.notifiers.keys()].join(', ')})` }] };
  }
  const parsed = notifier.parseOptions(rest);
  if (!parsed.ok) return parsed;
  return { ok: true, target: { id, type, options: parsed.options } };
}

/** zod issues as `path: message` pairs. */
export function zodIssues(error: z.ZodError, prefix = ''): OptionIssue[] {
  return error.issues.map((issue) => ({
    path: [prefix, ...issue.path.map(String)].filter((p) => p !== '').join('.'),
    message: issue.message,
  }));
}
