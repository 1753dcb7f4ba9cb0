import { z } from 'zod';
import { STANDARD_TEMPLATES, renderMessage } from '../../../core/messages/message.js';
import type { Notification } from '../../../core/notification.js';
import { withMarkdownEscaped } from '../../../core/messages/provider-text.js';
import { trimTrailingSlashes } from '../../../core/text.js';
import type {
  Notifier,
  OptionsResult,
  RenderContext,
  SendContext,
  SendResult,
  Target,
} from '../../../ports/notifier.js';
import type { NotifierDeps } from '../deps.js';
import { clip, parseJsonBody, statusFailure, transportFailure } from '../http-result.js';
import {
  credentials,
  parseOptionsWith,
  pathSegments,
  queryOptions,
  shorthand,
  urlIssue,
} from '../options.js';
import {
  EMBED_LIMITS,
  discordError,
  discordMessage,
  discordRateLimit,
  type DiscordMessageBody,
} from './discord.wire.js';

const options = z.strictObject({
  /** The webhook URL, `https://discord.com/api/webhooks/{id}/{token}`: a secret. */
  url: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
    .refine((u) => /\/webhooks\/[^/]+\/[^/?]+\/?$/.test(new URL(u).pathname), {
      message: 'must be a webhook URL ending in /webhooks/{id}/{token}',
    }),
  username: z.string().min(1).max(80).optional(),
  avatarUrl: z.url({ protocol: /^https?$/ }).optional(),
  threadId: z.string().regex(/^\d+$/, 'must be a snowflake id').optional(),
});
type Options = z.infer<typeof options>;

const COLOURS = { live: 0xe53935, title: 0x1e88e5, offline: 0x757575, test: 0x43a047 } as const;

/** A rendered Discord request, relative to the webhook URL (whose token stays out of it). */
export interface DiscordRequest {
  readonly method: 'POST' | 'PATCH' | 'DELETE';
  /** `''` to execute, `/messages/{id}` to edit or delete. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly body: DiscordMessageBody | null;
}

/** Discord webhook: an embed per event, `?wait=true` to learn the message id, PATCH/DELETE it later. */
export class DiscordNotifier implements Notifier {
  readonly type = 'discord';
  readonly schemes = ['discord'];
  readonly secretOptions = ['url'];
  readonly supports = { edit: true, retract: true };
  private readonly deps: NotifierDeps;

  constructor(deps: NotifierDeps) {
    this.deps = deps;
  }

  /** `discord://{webhook_id}/{webhook_token}[?username=…&avatar_url=…&thread=…]` (Discord's own host). */
  optionsFromUrl(raw: string): OptionsResult {
    const parsed = shorthand(raw, 'discord://{webhook_id}/{webhook_token}');
    if (!parsed.ok) return parsed;
    const { url } = parsed;
    const [token, ...extra] = pathSegments(url);
    if (url.hostname === '' || token === undefined || extra.length > 0)
      return urlIssue('must be discord://{webhook_id}/{webhook_token}');
    const query = queryOptions(url, ['username', 'avatar_url', 'thread']);
    // As in Apprise, `discord://botname@id/token` names the bot; `?username=` wins.
    query['username'] ??= credentials(url).user;
    return {
      ok: true,
      options: {
        url: `https://discord.com/api/webhooks/${encodeURIComponent(decodeURIComponent(url.hostname))}/${encodeURIComponent(token)}`,
        ...(query['username'] ? { username: query['username'] } : {}),
        ...(query['avatar_url'] ? { avatarUrl: query['avatar_url'] } : {}),
        ...(query['thread'] ? { threadId: query['thread'] } : {}),
      },
    };
  }

  parseOptions(raw: unknown): OptionsResult {
    return parseOptionsWith(options, raw);
  }

  render(n: Notification, target: Target, context: RenderContext): DiscordRequest {
    const opts = target.options as Options;
    const query: Record<string, string> =
      opts.threadId === undefined ? {} : { thread_id: opts.threadId };
    const { action } = context;
    if (action.kind === 'retract')
      return { method: 'DELETE', path: `/messages/${action.messageId}`, query, body: null };
    const message = renderMessage(withMarkdownEscaped(n), STANDARD_TEMPLATES, context.templates);
    const tags = message.tags.join(' · ');
    const body: DiscordMessageBody = {
      ...(opts.username === undefined ? {} : { username: opts.username }),
      ...(opts.avatarUrl === undefined ? {} : { avatar_url: opts.avatarUrl }),
      allowed_mentions: { parse: [] },
      embeds: [
        {
          title: cut(message.headline, EMBED_LIMITS.title),
          description: cut(message.text, EMBED_LIMITS.description),
          url: message.link,
          color: COLOURS[n.event],
          timestamp: new Date(n.at).toISOString(),
          ...(tags === '' ? {} : { footer: { text: cut(tags, EMBED_LIMITS.footer) } }),
        },
      ],
    };
    if (action.kind === 'edit')
      return { method: 'PATCH', path: `/messages/${action.messageId}`, query, body };
    return { method: 'POST', path: '', query: { ...query, wait: 'true' }, body };
  }

  async send(n: Notification, target: Target, context: SendContext): Promise<SendResult> {
    const opts = target.options as Options;
    const req = this.render(n, target, context);
    const what = 'discord webhook';
    const url = new URL(`${trimTrailingSlashes(opts.url)}${req.path}`);
    for (const [k, v] of Object.entries(req.query)) url.searchParams.set(k, v);
    const res = await this.deps.http.request(url.href, {
      method: req.method,
      headers: req.body ? { 'content-type': 'application/json' } : {},
      timeoutMs: this.deps.timeoutMs,
      maxBytes: 256 * 1024,
      signal: context.signal,
      ...(req.body ? { body: JSON.stringify(req.body) } : {}),
    });
    if (!res.ok) return transportFailure(res, what);
    const now = this.deps.now();
    if (res.status === 429) {
      // The body's float seconds are finer than the header's whole seconds.
      const limited = parseJsonBody(res.body, discordRateLimit);
      return statusFailure(
        res,
        what,
        now,
        limited?.global ? '(global rate limit)' : '(rate limited)',
        limited ? Math.ceil(limited.retry_after * 1000) : null,
      );
    }
    if (res.status === 404 && req.method === 'DELETE')
      return { ok: true, messageId: null, detail: `${what}: message already gone` };
    if (res.status < 200 || res.status >= 300) {
      const error = parseJsonBody(res.body, discordError)?.message;
      return statusFailure(
        res,
        what,
        now,
        res.status === 404
          ? '(webhook or message deleted)'
          : error === undefined
            ? ''
            : clip(error),
      );
    }
    const pause = quotaPauseMs(res.headers);
    const extra = pause === null ? {} : { pauseMs: pause };
    if (req.method === 'DELETE')
      return { ok: true, messageId: null, detail: `${what} deleted the message`, ...extra };
    const posted = parseJsonBody(res.body, discordMessage);
    if (!posted)
      return {
        ok: true,
        messageId: null,
        detail: `${what} answered ${res.status} without a message`,
        ...extra,
      };
    return {
      ok: true,
      messageId: posted.id,
      detail: `${what} ${req.method === 'PATCH' ? 'edited' : 'posted'} message ${posted.id}`,
      ...extra,
    };
  }
}

/** When the bucket is empty, how long until it refills (`X-RateLimit-Reset-After`, float seconds). */
function quotaPauseMs(headers: Readonly<Record<string, string>>): number | null {
  if (headers['x-ratelimit-remaining'] !== '0') return null;
  const after = Number(headers['x-ratelimit-reset-after']);
  return Number.isFinite(after) && after > 0 ? Math.ceil(after * 1000) : null;
}

/** Discord trims and counts; an over-long text is a 400, so cut it ourselves. */
function cut(text: string, max: number): string {
  const trimmed = text.trim();
  return trimmed.length <= max ? trimmed : `${trimmed.slice(0, max - 1)}…`;
}
