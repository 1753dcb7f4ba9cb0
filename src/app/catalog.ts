import {
  channelSchema,
  targetSchema,
  toChannel,
  toTarget,
  zodIssues,
  type ChannelInput,
  type Registries,
  type TargetInput,
} from './inputs.js';
import { isDeepStrictEqual } from 'node:util';
import type { Channel } from '../core/model.js';
import type { Clock } from '../ports/clock.js';
import type { Target } from '../ports/notifier.js';
import type {
  ChannelEntry,
  ChannelSource,
  Store,
  StoredChannel,
  StoredTarget,
  Subscription,
} from '../ports/store.js';
import { AppError } from './errors.js';
import type { PollLoop } from './poll-loop.js';
import type { Sentinel } from './sentinel.js';

export interface CatalogDeps {
  readonly store: Store;
  readonly sentinel: Sentinel;
  readonly poll: PollLoop;
  readonly clock: Clock;
  readonly registries: Registries;
}

/**
 * Channels, targets and subscriptions: the config file's and the API's. Validates against the
 * registries, persists, then tells the sentinel and the poll loop.
 */
export class Catalog {
  private readonly deps: CatalogDeps;
  private readonly deletedListeners: ((channelId: string) => Promise<void>)[] = [];

  constructor(deps: CatalogDeps) {
    this.deps = deps;
  }

  /**
   * Upserts the config file's targets and channels (only those that differ from what is stored, so
   * a restart writes nothing) and drops config channels no longer in the file.
   */
  async syncConfig(targets: readonly Target[], channels: readonly ChannelEntry[]): Promise<void> {
    const now = this.deps.clock.now();
    for (const target of targets) await this.deps.store.putTarget(target, 'config', now);
    const [stored, storedSubs] = await Promise.all([
      this.deps.store.listChannels(),
      this.deps.store.listSubscriptions(),
    ]);
    const inFile = new Set(channels.map((c) => c.channel.id));
    for (const existing of stored) {
      if (existing.source === 'config' && !inFile.has(existing.id))
        await this.deps.store.deleteChannel(existing.id);
    }
    const subsOf = new Map<string, Subscription[]>();
    for (const s of storedSubs) subsOf.set(s.channelId, [...(subsOf.get(s.channelId) ?? []), s]);
    const before = new Map(
      stored.map((c) => [c.id, fingerprint(c, subsOf.get(c.id) ?? [], c.source)]),
    );
    // Chat rooms' subscriptions (made by a bot) to config channels are not the file's to drop.
    const botTargets = new Set(
      (await this.deps.store.listTargets()).filter((t) => t.source === 'bot').map((t) => t.id),
    );
    const withBots = channels.map((e) => {
      const named = new Set(e.subscriptions.map((s) => s.targetId));
      const kept = (subsOf.get(e.channel.id) ?? []).filter(
        (s) => botTargets.has(s.targetId) && !named.has(s.targetId),
      );
      return kept.length === 0 ? e : { ...e, subscriptions: [...e.subscriptions, ...kept] };
    });
    const changed = withBots.filter(
      (e) => before.get(e.channel.id) !== fingerprint(e.channel, e.subscriptions, 'config'),
    );
    if (changed.length > 0) await this.deps.store.putChannels(changed, 'config', now);
  }

  async createChannel(body: unknown, source: ChannelSource = 'api'): Promise<StoredChannel> {
    refusePlaceholders(body);
    const input = parse(channelSchema, body);
    if (await this.deps.store.getChannel(input.id))
      throw new AppError('conflict', `channel "${input.id}" already exists`);
    return this.saveChannel(input, source);
  }

  /** Merges the given fields into the channel (`id` cannot change). */
  async updateChannel(id: string, body: unknown): Promise<StoredChannel> {
    const existing = await this.deps.store.getChannel(id);
    if (!existing) throw new AppError('notFound', `no channel "${id}"`);
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw AppError.invalid([{ path: '', message: 'body must be a JSON object' }]);
    const merged = {
      ...channelInputOf(existing, await this.deps.store.listSubscriptions(id)),
      ...body,
    };
    if ((merged as { id?: unknown }).id !== id)
      throw AppError.invalid([{ path: 'id', message: 'cannot be changed' }]);
    refusePlaceholders(body);
    return this.saveChannel(parse(channelSchema, merged), existing.source);
  }

  async deleteChannel(id: string): Promise<void> {
    if (!(await this.deps.store.deleteChannel(id)))
      throw new AppError('notFound', `no channel "${id}"`);
    this.deps.poll.unschedule(id);
    this.deps.sentinel.removeChannel(id);
    for (const listener of this.deletedListeners) await listener(id);
  }

  /** Calls `listener` after a channel is deleted through the API (e.g. to remove its keepalives). */
  onChannelDeleted(listener: (channelId: string) => Promise<void>): void {
    this.deletedListeners.push(listener);
  }

  async createTarget(body: unknown): Promise<StoredTarget> {
    refusePlaceholders(body);
    const input = parse(targetSchema, body);
    if (await this.deps.store.getTarget(input.id))
      throw new AppError('conflict', `target "${input.id}" already exists`);
    return this.saveTarget(input, 'api');
  }

  async updateTarget(id: string, body: unknown): Promise<StoredTarget> {
    const existing = await this.deps.store.getTarget(id);
    if (!existing) throw new AppError('notFound', `no target "${id}"`);
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw AppError.invalid([{ path: '', message: 'body must be a JSON object' }]);
    refusePlaceholders(body);
    const given = body as Record<string, unknown>;
    const secrets = this.deps.registries.notifiers.get(existing.type)?.secretOptions ?? [];
    // Stored secrets belong to where they were sent: an endpoint option changing would point them
    // elsewhere ("Send test" to a new URL handed them out), so they go unless given again.
    const moved = Object.entries(given).some(
      ([key, value]) =>
        !secrets.includes(key) &&
        isEndpointOption(key, value, existing.options[key]) &&
        !isDeepStrictEqual(value, existing.options[key]),
    );
    const kept = Object.fromEntries(
      Object.entries(existing.options).filter(([key]) => !moved || !secrets.includes(key)),
    );
    const merged = { id, type: existing.type, ...kept, ...given };
    if ((merged as { id?: unknown }).id !== id)
      throw AppError.invalid([{ path: 'id', message: 'cannot be changed' }]);
    return this.saveTarget(parse(targetSchema, merged), existing.source);
  }

  async deleteTarget(id: string): Promise<void> {
    const result = await this.deps.store.deleteTarget(id);
    if (result === 'notFound') throw new AppError('notFound', `no target "${id}"`);
    if (result === 'inUse')
      throw new AppError('conflict', `target "${id}" is still used by channel subscriptions`);
  }

  private async saveChannel(
    input: ChannelInput,
    source: StoredChannel['source'],
  ): Promise<StoredChannel> {
    const result = toChannel(input, this.deps.registries);
    if (!result.ok) throw AppError.invalid(result.issues);
    const issues = [];
    for (const [i, s] of result.subscriptions.entries()) {
      if (!(await this.deps.store.getTarget(s.targetId)))
        issues.push({ path: `notify.${i}`, message: `no target with id "${s.targetId}"` });
    }
    if (issues.length > 0) throw AppError.invalid(issues);
    const before = await this.deps.store.getChannel(result.channel.id);
    await this.deps.store.putChannel(
      result.channel,
      result.subscriptions,
      source,
      this.deps.clock.now(),
    );
    // Another URL is another stream: nothing the old one showed (live, a title) carries over.
    if (before !== undefined && before.url !== result.channel.url)
      await this.deps.sentinel.resetState(result.channel.id);
    this.deps.sentinel.setChannel(result.channel, result.subscriptions);
    this.deps.poll.schedule(result.channel.id);
    const saved = await this.deps.store.getChannel(result.channel.id);
    if (!saved) throw new Error('channel vanished after save');
    return saved;
  }

  private async saveTarget(
    input: TargetInput,
    source: StoredTarget['source'],
  ): Promise<StoredTarget> {
    const result = toTarget(input, this.deps.registries);
    if (!result.ok) throw AppError.invalid(result.issues);
    await this.deps.store.putTarget(result.target, source, this.deps.clock.now());
    const saved = await this.deps.store.getTarget(result.target.id);
    if (!saved) throw new Error('target vanished after save');
    return saved;
  }
}

/** Option names that say where a notice goes (URL, server, host, port, chat, room, topic, recipient). */
const ENDPOINT_NAME = /url|server|host|port|chat|room|topic|broker|^to$|^cc$|^bcc$/i;

/**
 * Whether changing this option could send a target's secrets somewhere else: any option named
 * like an endpoint, and any whose old or new value is a URL.
 */
function isEndpointOption(key: string, value: unknown, previous: unknown): boolean {
  const isUrl = (v: unknown) => typeof v === 'string' && v.includes('://');
  return ENDPOINT_NAME.test(key) || isUrl(value) || isUrl(previous);
}

/** What the API shows instead of a secret (`views.ts`); never a value to store. */
export const REDACTED = 'REDACTED';

/**
 * Refuses a body that writes back a redacted view: a URL or option holding `REDACTED` would
 * replace the real secret (the Admin page once stored a channel URL without its CDN token).
 */
function refusePlaceholders(body: unknown): void {
  if (typeof body !== 'object' || body === null) return;
  const issues = Object.entries(body)
    .filter(([, value]) => typeof value === 'string' && value.includes(REDACTED))
    .map(([key]) => ({
      path: key,
      message: `holds the ${REDACTED} placeholder of a hidden secret: leave the field out to keep the stored value, or give the real one`,
    }));
  if (issues.length > 0) throw AppError.invalid(issues);
}

function parse<T>(
  schema: {
    safeParse(
      v: unknown,
    ): { success: true; data: T } | { success: false; error: import('zod').ZodError };
  },
  body: unknown,
): T {
  const result = schema.safeParse(body);
  if (!result.success) throw AppError.invalid(zodIssues(result.error));
  return result.data;
}

/** What makes a stored channel equal to a configured one. */
function fingerprint(
  channel: Channel,
  subscriptions: readonly Subscription[],
  source: string,
): string {
  const { id, platform, url, name, intervalMs, options } = channel;
  const subs = [...subscriptions]
    .sort((a, b) => a.targetId.localeCompare(b.targetId))
    .map((s) => [s.targetId, s.events, s.options]);
  return JSON.stringify([id, platform, url, name, intervalMs, options, subs, source]);
}

/** A stored channel written back in its input form (for merging updates). */
export function channelInputOf(
  channel: Channel,
  subscriptions: readonly Subscription[],
): Record<string, unknown> {
  const input: Record<string, unknown> = {
    id: channel.id,
    platform: channel.platform,
    url: channel.url,
    notify: subscriptions.map((s) => ({ ...s.options, target: s.targetId, events: s.events })),
    ...channel.options,
  };
  if (channel.name !== null) input['name'] = channel.name;
  if (channel.intervalMs !== null) input['interval'] = `${channel.intervalMs}ms`;
  return input;
}
