import type { z } from 'zod';
import { parseSlashCommand, type BotChat, type BotCommands } from '../../../app/bots/commands.js';
import { trimTrailingSlashes } from '../../../core/text.js';
import type { Timers } from '../../../ports/clock.js';
import type { HttpClient } from '../../../ports/http-client.js';
import type { Logger } from '../../../ports/logger.js';
import type { Store } from '../../../ports/store.js';
import { parseJsonBody } from '../../notifiers/http-result.js';
import {
  botAnswer,
  chatMember,
  me,
  sentMessage,
  updates,
  type Update,
} from './telegram-bot.wire.js';

/** `bots.telegram` of the config. */
export interface TelegramBotSettings {
  /** `123456:ABC…` from BotFather. */
  readonly botToken: string;
  /** `https://api.telegram.org`, or a Bot API server of one's own. */
  readonly apiUrl: string;
}

export interface TelegramBotDeps {
  readonly http: HttpClient;
  readonly store: Pick<Store, 'getSetting' | 'setSetting'>;
  readonly commands: BotCommands;
  readonly timers: Timers;
  readonly logger: Logger;
  readonly settings: TelegramBotSettings;
  /** How long the Bot API may hold a `getUpdates` open. */
  readonly pollTimeoutMs: number;
  /** Pause after a failed round (doubling up to 16 times this). */
  readonly retryMs: number;
}

/** Settings key: the next update id survives restarts, so no command runs twice. */
const OFFSET_KEY = 'bot.telegram.offset';

/** A Bot API error: the description, never the URL (the token is in its path). */
class TelegramError extends Error {
  readonly retryAfterMs: number | null;
  constructor(message: string, retryAfterMs: number | null = null) {
    super(message);
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * A Telegram bot over the Bot API: `/subscribe`, `/unsubscribe`, `/list`, `/live`, `/help`
 * through `getUpdates` long polling. The offset (last update id + 1) is stored before the next
 * poll confirms it to Telegram, so a restart neither repeats nor skips. In groups only chat
 * administrators may subscribe and unsubscribe.
 */
export class TelegramBot {
  private readonly deps: TelegramBotDeps;
  private readonly base: string;
  private username: string | null = null;
  private signal: AbortSignal = new AbortController().signal;

  constructor(deps: TelegramBotDeps) {
    this.deps = deps;
    this.base = `${trimTrailingSlashes(deps.settings.apiUrl)}/bot${deps.settings.botToken}`;
  }

  /** The target id of a chat's subscriptions: derived from the chat id, so it never changes. */
  static targetIdFor(chatId: number): string {
    return `telegram-${String(chatId).replace('-', 'g')}`;
  }

  /**
   * Runs rounds until `signal` aborts (the in-flight request is cancelled); a failed round is
   * logged and retried after a pause. Never rejects.
   */
  async run(signal: AbortSignal): Promise<void> {
    this.signal = signal;
    let failures = 0;
    while (!signal.aborted) {
      try {
        await this.round();
        failures = 0;
      } catch (err) {
        failures++;
        this.deps.logger.warn(
          { err: err instanceof Error ? err.message : String(err), failures },
          'telegram bot: round failed',
        );
        await this.pause(this.retryDelay(err, failures));
      }
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const signal = this.signal;
      // Stopped while the failed request was unwinding: no pause.
      if (signal.aborted) {
        resolve();
        return;
      }
      const done = (): void => {
        cancel();
        signal.removeEventListener('abort', done);
        resolve();
      };
      const cancel = this.deps.timers.after(ms, done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  private retryDelay(err: unknown, failures: number): number {
    const asked = err instanceof TelegramError ? err.retryAfterMs : null;
    return asked ?? this.deps.retryMs * 2 ** Math.min(4, failures - 1);
  }

  private async round(): Promise<void> {
    if (this.username === null) {
      const bot = await this.call('getMe', {}, me);
      this.username = bot.username ?? '';
    }
    const stored = await this.deps.store.getSetting(OFFSET_KEY);
    const offset = stored === undefined ? undefined : Number(stored);
    const batch = await this.call(
      'getUpdates',
      {
        ...(offset === undefined ? {} : { offset }),
        timeout: Math.floor(this.deps.pollTimeoutMs / 1000),
        allowed_updates: ['message'],
      },
      updates,
      this.deps.pollTimeoutMs + 30_000,
    );
    for (const update of batch) {
      if (this.signal.aborted) return;
      await this.handle(update);
      await this.deps.store.setSetting(OFFSET_KEY, String(update.update_id + 1));
    }
  }

  private async handle(update: Update): Promise<void> {
    const msg = update.message;
    if (msg?.text === undefined || msg.from === undefined || msg.from.is_bot === true) return;
    const command = parseSlashCommand(msg.text, this.username);
    if (command === null) return;
    const { chat } = msg;
    const userId = msg.from.id;
    const botChat: BotChat = {
      targetId: TelegramBot.targetIdFor(chat.id),
      targetType: 'telegram',
      targetOptions: {
        botToken: this.deps.settings.botToken,
        chatId: String(chat.id),
        apiUrl: this.deps.settings.apiUrl,
      },
    };
    const reply = await this.deps.commands.run(botChat, command, async () => {
      if (chat.type === 'private') return true;
      const member = await this.call(
        'getChatMember',
        { chat_id: chat.id, user_id: userId },
        chatMember,
      );
      return member.status === 'creator' || member.status === 'administrator';
    });
    this.deps.logger.info({ chatId: chat.id, command: command.name }, 'telegram bot: command');
    await this.call(
      'sendMessage',
      {
        chat_id: chat.id,
        text: reply,
        reply_parameters: { message_id: msg.message_id, allow_sending_without_reply: true },
        link_preview_options: { is_disabled: true },
      },
      sentMessage,
    );
  }

  private async call<T>(
    method: string,
    body: Record<string, unknown>,
    schema: z.ZodType<T>,
    timeoutMs = 30_000,
  ): Promise<T> {
    const res = await this.deps.http.request(`${this.base}/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      timeoutMs,
      maxBytes: 8 * 1_048_576,
      signal: this.signal,
    });
    if (!res.ok) throw new TelegramError(`telegram ${method}: ${res.reason}`);
    const answer = parseJsonBody(res.body, botAnswer);
    if (answer?.ok !== true) {
      const wait = answer?.parameters?.retry_after;
      throw new TelegramError(
        `telegram ${method} answered HTTP ${res.status}${answer?.description === undefined ? '' : ` ${answer.description.replaceAll(this.deps.settings.botToken, 'REDACTED')}`}`,
        wait === undefined ? null : wait * 1000,
      );
    }
    const parsed = schema.safeParse(answer.result);
    if (!parsed.success) throw new TelegramError(`telegram ${method}: unexpected result`);
    return parsed.data;
  }
}
