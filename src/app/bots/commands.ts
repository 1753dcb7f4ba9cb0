import { EVENT_KINDS, type EventKind } from '../../core/model.js';
import { trimTrailingSlashes } from '../../core/text.js';
import type { Clock } from '../../ports/clock.js';
import type { Store, StoredChannel } from '../../ports/store.js';
import type { Catalog } from '../catalog.js';
import { channelInputOf } from '../catalog.js';
import { AppError } from '../errors.js';
import { DEFAULT_EVENTS, toTarget, type Registries } from '../inputs.js';
import type { Sentinel } from '../sentinel.js';

/** What people can ask a chat bot. */
export type BotCommandName = 'subscribe' | 'unsubscribe' | 'list' | 'live' | 'help';
const COMMANDS: readonly BotCommandName[] = ['subscribe', 'unsubscribe', 'list', 'live', 'help'];

export type BotCommand =
  | { readonly name: BotCommandName; readonly args: readonly string[] }
  | { readonly name: 'unknown'; readonly word: string };

/** `!onair subscribe alice live,offline` (Matrix style): null when the text is not for the bot. */
export function parsePrefixedCommand(text: string, prefix: string): BotCommand | null {
  const words = text.trim().split(/\s+/);
  if (words[0]?.toLowerCase() !== prefix.toLowerCase()) return null;
  return commandOf(words[1] ?? 'help', words.slice(2));
}

/**
 * `/subscribe@onair_bot alice` (Telegram style). In groups a command addressed to another bot
 * (`@other_bot`) is not ours; null for plain chat.
 */
export function parseSlashCommand(text: string, botUsername: string | null): BotCommand | null {
  const words = text.trim().split(/\s+/);
  const match = /^\/([A-Za-z_]+)(?:@([A-Za-z0-9_]+))?$/.exec(words[0] ?? '');
  if (!match) return null;
  const [, name = '', addressee] = match;
  if (
    addressee !== undefined &&
    botUsername !== null &&
    addressee.toLowerCase() !== botUsername.toLowerCase()
  )
    return null;
  // Telegram clients send /start when a chat with the bot opens.
  return commandOf(name.toLowerCase() === 'start' ? 'help' : name, words.slice(1));
}

function commandOf(word: string, args: readonly string[]): BotCommand {
  const name = word.toLowerCase();
  return (COMMANDS as readonly string[]).includes(name)
    ? { name: name as BotCommandName, args }
    : { name: 'unknown', word };
}

/** The chat a command came from, and the target its notices go to. */
export interface BotChat {
  /** Stable per chat (derived from the room or chat id), so every command of one chat shares it. */
  readonly targetId: string;
  readonly targetType: string;
  /** The target's options (the bot's own credentials and the chat's address). */
  readonly targetOptions: Readonly<Record<string, unknown>>;
}

export interface BotCommandsDeps {
  readonly store: Pick<Store, 'listChannels' | 'listSubscriptions' | 'getTarget' | 'putTarget'>;
  readonly catalog: Pick<Catalog, 'createChannel' | 'updateChannel' | 'deleteTarget'>;
  readonly sentinel: Pick<Sentinel, 'state'>;
  readonly registries: Registries;
  readonly clock: Clock;
  /** A URL that is no channel yet may become one (owned by nobody but the bot). */
  readonly allowNewChannels: boolean;
  /** How the chat writes commands, for help texts (`!onair ` or `/`). */
  readonly syntax: (name: BotCommandName) => string;
}

/**
 * The commands every chat bot understands, over the catalog: a chat's subscriptions are an
 * ordinary target (source `bot`) and ordinary subscriptions, so they go through the same outbox,
 * edits and retractions and show in the API and the web app. Answers are plain text.
 */
export class BotCommands {
  private readonly deps: BotCommandsDeps;

  constructor(deps: BotCommandsDeps) {
    this.deps = deps;
  }

  /**
   * Runs one command. `mayManage` is asked only for subscribe and unsubscribe (it may cost a
   * request to the chat service). Never throws for bad input: the answer says what was wrong.
   */
  async run(
    chat: BotChat,
    command: BotCommand,
    mayManage: () => Promise<boolean>,
  ): Promise<string> {
    switch (command.name) {
      case 'unknown':
        return `Unknown command "${command.word}". ${this.help()}`;
      case 'help':
        return this.help();
      case 'list':
        return this.list(chat);
      case 'live':
        return this.live();
      case 'subscribe':
      case 'unsubscribe': {
        const [ref, events, ...extra] = command.args;
        if (ref === undefined || extra.length > 0 || (command.name === 'unsubscribe' && events))
          return `Usage: ${this.usage(command.name)}`;
        if (!(await mayManage()))
          return `Only room moderators and admins may ${command.name} (you may still use list and live).`;
        return command.name === 'subscribe'
          ? this.subscribe(chat, ref, events)
          : this.unsubscribe(chat, ref);
      }
    }
  }

  private usage(name: BotCommandName): string {
    const s = this.deps.syntax(name);
    switch (name) {
      case 'subscribe':
        return `${s} <channel id or URL> [live,title,offline]`;
      case 'unsubscribe':
        return `${s} <channel id or URL>`;
      case 'help':
      case 'list':
      case 'live':
        return s;
    }
  }

  private help(): string {
    return [
      'onair tells this chat when streams go live.',
      `${this.usage('subscribe')} — get notices for a channel here (default: live,title)`,
      `${this.usage('unsubscribe')} — stop them`,
      `${this.usage('list')} — this chat's subscriptions`,
      `${this.usage('live')} — what is live now`,
      `${this.usage('help')} — this text`,
    ].join('\n');
  }

  private async subscribe(chat: BotChat, ref: string, eventsArg?: string): Promise<string> {
    let events: readonly EventKind[] = DEFAULT_EVENTS;
    if (eventsArg !== undefined) {
      const words = eventsArg.split(',').map((w) => w.trim().toLowerCase());
      const bad = words.filter((w) => !(EVENT_KINDS as readonly string[]).includes(w));
      if (bad.length > 0 || words.length === 0)
        return `Unknown event kind "${bad.join(',')}": choose from ${EVENT_KINDS.join(', ')}.`;
      events = [...new Set(words as EventKind[])];
    }
    const found = await this.resolve(ref, this.deps.allowNewChannels);
    if (!found.ok) return found.reply;
    const { channel } = found;
    const target = await this.ensureTarget(chat);
    if (!target.ok) return target.reply;
    const subs = await this.deps.store.listSubscriptions(channel.id);
    const others = channelInputOf(
      channel,
      subs.filter((s) => s.targetId !== chat.targetId),
    )['notify'] as unknown[];
    await this.deps.catalog.updateChannel(channel.id, {
      notify: [...others, { target: chat.targetId, events }],
    });
    const again = subs.some((s) => s.targetId === chat.targetId);
    return `${again ? 'Updated: this chat now gets' : 'Subscribed: this chat gets'} ${events.join(', ')} notices for ${label(channel)} (${channel.url}).`;
  }

  private async unsubscribe(chat: BotChat, ref: string): Promise<string> {
    const found = await this.resolve(ref, false);
    if (!found.ok) return found.reply;
    const { channel } = found;
    const subs = await this.deps.store.listSubscriptions(channel.id);
    if (!subs.some((s) => s.targetId === chat.targetId))
      return `This chat is not subscribed to ${label(channel)}.`;
    const rest = channelInputOf(
      channel,
      subs.filter((s) => s.targetId !== chat.targetId),
    )['notify'] as unknown[];
    await this.deps.catalog.updateChannel(channel.id, { notify: rest });
    // The chat's target goes with its last subscription, so the API lists no orphans.
    const left = (await this.deps.store.listSubscriptions()).some(
      (s) => s.targetId === chat.targetId,
    );
    if (!left) await this.deps.catalog.deleteTarget(chat.targetId).catch(ignoreNotFound);
    return `Unsubscribed: no more notices for ${label(channel)} here.`;
  }

  private async list(chat: BotChat): Promise<string> {
    const [channels, subs] = await Promise.all([
      this.deps.store.listChannels(),
      this.deps.store.listSubscriptions(),
    ]);
    const mine = subs.filter((s) => s.targetId === chat.targetId);
    if (mine.length === 0)
      return `This chat has no subscriptions. ${this.usage('subscribe')} adds one.`;
    const byId = new Map(channels.map((c) => [c.id, c]));
    const lines = mine
      .map((s) => {
        const c = byId.get(s.channelId);
        return `• ${c ? label(c) : s.channelId} (${s.events.join(', ')})${c ? ` ${c.url}` : ''}`;
      })
      .sort();
    return [`This chat's subscriptions:`, ...lines].join('\n');
  }

  private async live(): Promise<string> {
    const channels = await this.deps.store.listChannels();
    const live = channels
      .map((c) => ({ c, state: this.deps.sentinel.state(c.id) }))
      .filter(({ state }) => state.liveness === 'live')
      .sort((a, b) => a.c.id.localeCompare(b.c.id));
    if (live.length === 0) return 'Nothing is live right now.';
    return [
      'Live now:',
      ...live.map(
        ({ c, state }) =>
          `• ${c.name ?? state.platformName ?? c.id}${state.title === null ? '' : `: ${state.title}`} ${c.url}`,
      ),
    ].join('\n');
  }

  /** A channel by id, or by URL (a new channel only when `create` and the bot may add channels). */
  private async resolve(
    ref: string,
    create: boolean,
  ): Promise<{ ok: true; channel: StoredChannel } | { ok: false; reply: string }> {
    const channels = await this.deps.store.listChannels();
    const byId = channels.find((c) => c.id === ref);
    if (byId) return { ok: true, channel: byId };
    let url: URL;
    try {
      url = new URL(ref);
    } catch {
      return {
        ok: false,
        reply: `No channel "${ref}". ${this.usage('live')} shows channels that are live; a channel id or its URL works.`,
      };
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      return { ok: false, reply: `"${ref}" is no channel id and no http(s) URL.` };
    const byUrl = channels.find((c) => sameUrl(c.url, url));
    if (byUrl) return { ok: true, channel: byUrl };
    if (!create)
      return {
        ok: false,
        reply: this.deps.allowNewChannels
          ? `onair does not watch ${url.href}.`
          : `onair does not watch ${url.href}, and this bot may not add channels (ask the onair admin).`,
      };
    const platform = [...this.deps.registries.platforms.values()].find((p) => p.recognises(url));
    if (!platform) return { ok: false, reply: `No platform recognises ${url.href}.` };
    const taken = new Set(channels.map((c) => c.id));
    const base = channelIdFor(url);
    let id = base;
    for (let n = 2; taken.has(id); n++) id = `${base.slice(0, 60)}-${n}`;
    try {
      const channel = await this.deps.catalog.createChannel(
        { id, platform: platform.id, url: url.href },
        'bot',
      );
      return { ok: true, channel };
    } catch (err) {
      if (err instanceof AppError)
        return { ok: false, reply: `Cannot watch ${url.href}: ${err.message}` };
      throw err;
    }
  }

  /** The chat's target, created (source `bot`) with its first subscription; kept current. */
  private async ensureTarget(chat: BotChat): Promise<{ ok: true } | { ok: false; reply: string }> {
    const existing = await this.deps.store.getTarget(chat.targetId);
    if (existing && existing.source !== 'bot')
      return {
        ok: false,
        reply: `A target "${chat.targetId}" exists and was not made by this bot; ask the onair admin.`,
      };
    const checked = toTarget(
      { id: chat.targetId, type: chat.targetType, ...chat.targetOptions },
      this.deps.registries,
    );
    if (!checked.ok)
      throw new Error(
        `bot target is invalid: ${checked.issues.map((i) => `${i.path} ${i.message}`).join('; ')}`,
      );
    if (JSON.stringify(existing?.options) !== JSON.stringify(checked.target.options))
      await this.deps.store.putTarget(checked.target, 'bot', this.deps.clock.now());
    return { ok: true };
  }
}

function label(channel: StoredChannel): string {
  return channel.name === null ? channel.id : `${channel.name} (${channel.id})`;
}

function sameUrl(stored: string, url: URL): boolean {
  try {
    const a = new URL(stored);
    const strip = (u: URL) =>
      `${u.protocol}//${u.host}${trimTrailingSlashes(u.pathname)}${u.search}`;
    return strip(a).toLowerCase() === strip(url).toLowerCase();
  } catch {
    return false;
  }
}

/** `https://watch.example.org/live/` → `watch.example.org-live`: readable, valid as an id. */
export function channelIdFor(url: URL): string {
  const words = `${url.hostname}${url.pathname}`.split(/[^A-Za-z0-9_.]+/).filter((w) => w !== '');
  const raw = words.join('-').replace(/^[^A-Za-z0-9]+/, '');
  return (raw === '' ? 'channel' : raw).slice(0, 64);
}

function ignoreNotFound(err: unknown): void {
  if (err instanceof AppError && (err.code === 'notFound' || err.code === 'conflict')) return;
  throw err;
}
