import { z } from 'zod';
import { CHAT_TEMPLATES, renderMessage } from '../../../core/messages/message.js';
import type { Notification } from '../../../core/notification.js';
import { clipHtml } from '../../../core/messages/provider-text.js';
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
import {
  clip,
  isRetryableStatus,
  parseJsonBody,
  retryAfterMs,
  transportFailure,
} from '../http-result.js';
import { flag, parseOptionsWith, urlIssue } from '../options.js';
import { TEXT_LIMIT, telegramAnswer, telegramMessage, type TelegramCall } from './telegram.wire.js';

const options = z.strictObject({
  /** `123456:ABC…` from BotFather: a secret (it is part of every request path). */
  botToken: z.string().regex(/^\d+:[A-Za-z0-9_-]+$/, 'must look like 123456:ABC-def'),
  chatId: z.union([
    z.string().regex(/^(-?\d+|@[A-Za-z0-9_]{5,})$/, 'must be a numeric chat id or @channelname'),
    z.number().int().transform(String),
  ]),
  threadId: z.number().int().positive().optional(),
  silent: z.boolean().default(false),
  apiUrl: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
    .default('https://api.telegram.org'),
});
type Options = z.output<typeof options>;

/** Telegram Bot API: `sendMessage` with HTML, `editMessageText` and `deleteMessage` for the offline follow-up. */
export class TelegramNotifier implements Notifier {
  readonly type = 'telegram';
  readonly schemes = ['tgram'];
  readonly secretOptions = ['botToken'];
  readonly supports = { edit: true, retract: true };
  private readonly deps: NotifierDeps;

  constructor(deps: NotifierDeps) {
    this.deps = deps;
  }

  /**
   * `tgram://[bot]{bot_token}/{chat_id}[?silent=yes]`; the token's `:` makes it no WHATWG URL, so
   * it is split by hand. The `bot` prefix Apprise allows (the token as it appears in Bot API URLs) is dropped.
   */
  optionsFromUrl(raw: string): OptionsResult {
    const match = /^tgram:\/\/(?:bot)?([^/?#]+)\/([^/?#]+)\/?(\?[^#]*)?$/.exec(raw);
    if (!match) return urlIssue('must be tgram://{bot_token}/{chat_id} (one chat per target)');
    const [, token = '', chat = ''] = match;
    const silent = flag(new URLSearchParams(match[3] ?? '').get('silent'));
    return {
      ok: true,
      options: {
        botToken: decodeURIComponent(token),
        chatId: decodeURIComponent(chat),
        ...(silent === undefined ? {} : { silent }),
      },
    };
  }

  parseOptions(raw: unknown): OptionsResult {
    return parseOptionsWith(options, raw);
  }

  render(n: Notification, target: Target, context: RenderContext): TelegramCall {
    const opts = target.options as Options;
    const { action } = context;
    if (action.kind === 'retract')
      return {
        method: 'deleteMessage',
        body: { chat_id: opts.chatId, message_id: Number(action.messageId) },
      };
    const message = renderMessage(n, CHAT_TEMPLATES, context.templates);
    // Always HTML with parse_mode HTML, cut between tags: raw text with parse_mode rendered markup.
    const text = clipHtml(message.html, TEXT_LIMIT, 'utf16');
    if (action.kind === 'edit') {
      return {
        method: 'editMessageText',
        body: {
          chat_id: opts.chatId,
          message_id: Number(action.messageId),
          text,
          parse_mode: 'HTML',
        },
      };
    }
    return {
      method: 'sendMessage',
      body: {
        chat_id: opts.chatId,
        text,
        parse_mode: 'HTML',
        disable_notification: opts.silent,
        ...(opts.threadId === undefined ? {} : { message_thread_id: opts.threadId }),
      },
    };
  }

  async send(n: Notification, target: Target, context: SendContext): Promise<SendResult> {
    const opts = target.options as Options;
    const call = this.render(n, target, context);
    const what = `telegram ${call.method}`;
    const res = await this.deps.http.request(
      `${trimTrailingSlashes(opts.apiUrl)}/bot${opts.botToken}/${call.method}`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(call.body),
        timeoutMs: this.deps.timeoutMs,
        maxBytes: 64 * 1024,
        signal: context.signal,
      },
    );
    if (!res.ok) return transportFailure(res, what);
    const answer = parseJsonBody(res.body, telegramAnswer);
    if (answer?.ok === true && res.status === 200) {
      if (call.method !== 'sendMessage')
        return { ok: true, messageId: null, detail: `${what} done` };
      const sent = telegramMessage.safeParse(answer.result);
      return sent.success
        ? {
            ok: true,
            messageId: String(sent.data.message_id),
            detail: `${what} posted message ${sent.data.message_id}`,
          }
        : { ok: true, messageId: null, detail: `${what} answered without a message id` };
    }
    const description = answer?.description ?? '';
    // Editing to the same text, or deleting what is gone, leaves the chat as we want it.
    if (
      res.status === 400 &&
      /message is not modified|message to delete not found|message to edit not found/i.test(
        description,
      ) &&
      call.method !== 'sendMessage'
    ) {
      return { ok: true, messageId: null, detail: `${what}: ${clip(description)}` };
    }
    const retryAfterSeconds = answer?.parameters?.retry_after;
    return {
      ok: false,
      retryable: isRetryableStatus(res.status),
      retryAfterMs:
        retryAfterSeconds === undefined
          ? retryAfterMs(res.headers['retry-after'], this.deps.now())
          : retryAfterSeconds * 1000,
      error: `${what} answered HTTP ${res.status}${description === '' ? '' : ` ${clip(description.replaceAll(opts.botToken, 'REDACTED'))}`}`,
    };
  }
}
