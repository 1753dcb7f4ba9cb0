import { FakeProvider, type Answer, type SeenRequest } from '../contracts/notifier-fakes.js';
import { listen, readBody, type Running } from './listen.js';

/**
 * A fake Telegram Bot API: `POST /bot<token>/<method>` with JSON; `sendMessage`,
 * `editMessageText`, `deleteMessage`; answers `{ok, result}` or `{ok:false, error_code,
 * description, parameters.retry_after}` like the real one.
 */
export class FakeTelegram extends FakeProvider {
  readonly botToken = '123456:AAE-secret_token';
  readonly chatId = '-1001234';
  /** The chat as people see it: message id → text. */
  readonly chat = new Map<number, string>();
  private next = 10;

  static async start(): Promise<FakeTelegram> {
    const fake = new FakeTelegram();
    await fake.listen();
    return fake;
  }

  static rateLimited(seconds: number): Answer {
    return {
      status: 429,
      body: {
        ok: false,
        error_code: 429,
        description: `Too Many Requests: retry after ${seconds}`,
        parameters: { retry_after: seconds },
      },
    };
  }

  protected handle(req: SeenRequest): Answer {
    const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(req.path);
    if (!match)
      return { status: 404, body: { ok: false, error_code: 404, description: 'Not Found' } };
    const [, token, method = ''] = match;
    if (token !== this.botToken)
      return { status: 401, body: { ok: false, error_code: 401, description: 'Unauthorized' } };
    const b = req.body as {
      chat_id?: string;
      text?: string;
      message_id?: number;
      parse_mode?: string;
    };
    if (b.chat_id !== this.chatId)
      return {
        status: 400,
        body: { ok: false, error_code: 400, description: 'Bad Request: chat not found' },
      };
    switch (method) {
      case 'sendMessage': {
        if (!b.text)
          return {
            status: 400,
            body: { ok: false, error_code: 400, description: 'Bad Request: message text is empty' },
          };
        const id = this.next++;
        this.chat.set(id, b.text);
        return {
          status: 200,
          body: {
            ok: true,
            result: { message_id: id, date: 1, chat: { id: Number(this.chatId) }, text: b.text },
          },
        };
      }
      case 'editMessageText': {
        const current = this.chat.get(b.message_id ?? -1);
        if (current === undefined)
          return {
            status: 400,
            body: {
              ok: false,
              error_code: 400,
              description: 'Bad Request: message to edit not found',
            },
          };
        if (current === b.text)
          return {
            status: 400,
            body: {
              ok: false,
              error_code: 400,
              description: 'Bad Request: message is not modified',
            },
          };
        this.chat.set(b.message_id!, b.text ?? '');
        return {
          status: 200,
          body: { ok: true, result: { message_id: b.message_id, text: b.text } },
        };
      }
      case 'deleteMessage':
        if (!this.chat.delete(b.message_id ?? -1))
          return {
            status: 400,
            body: {
              ok: false,
              error_code: 400,
              description: 'Bad Request: message to delete not found',
            },
          };
        return { status: 200, body: { ok: true, result: true } };
      default:
        return {
          status: 404,
          body: { ok: false, error_code: 404, description: 'Not Found: method not found' },
        };
    }
  }
}

type ChatType = 'private' | 'group' | 'supergroup';

/**
 * A fake Bot API for the bot side (https://core.telegram.org/bots/api): `getMe`, `getUpdates`
 * long polling with offset confirmation (updates below the offset are forgotten, as Telegram
 * does), `getChatMember` (statuses set per chat), `sendMessage` into any known chat. Tests write
 * messages with `say`.
 */
export class FakeBotApi {
  readonly botToken = '654321:BOT-secret_token';
  readonly username = 'onair_test_bot';
  readonly requests: { method: string; body: Record<string, unknown> }[] = [];
  /** Chat id → what the bot posted there, in order. */
  readonly posted = new Map<number, string[]>();
  private readonly chats = new Map<number, { type: ChatType; admins: Set<number> }>();
  private updates: { update_id: number; message: Record<string, unknown> }[] = [];
  private readonly waiting = new Set<() => void>();
  private nextUpdate = 500;
  private nextMessage = 1;
  private running: Running | null = null;

  static async start(): Promise<FakeBotApi> {
    const fake = new FakeBotApi();
    fake.running = await listen((req, res) => {
      void readBody(req).then(async (buf) => {
        const answer = await fake.handle(req.url ?? '/', buf);
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer.body));
      });
    });
    return fake;
  }

  get url(): string {
    if (!this.running) throw new Error('not started');
    return this.running.url;
  }

  addChat(id: number, type: ChatType, admins: number[] = []): void {
    this.chats.set(id, { type, admins: new Set(admins) });
  }

  /** A user writes into a chat; returns the update id. */
  say(chatId: number, userId: number, text: string): number {
    const chat = this.chats.get(chatId);
    if (!chat) throw new Error(`no chat ${chatId}`);
    const update_id = this.nextUpdate++;
    this.updates.push({
      update_id,
      message: {
        message_id: this.nextMessage++,
        date: 1,
        from: { id: userId, is_bot: false, first_name: `user${userId}` },
        chat: { id: chatId, type: chat.type },
        text,
      },
    });
    for (const wake of [...this.waiting]) wake();
    return update_id;
  }

  /** Updates not yet confirmed by an offset. */
  get pending(): number {
    return this.updates.length;
  }

  async close(): Promise<void> {
    for (const wake of [...this.waiting]) wake();
    await this.running?.close();
  }

  private async handle(rawUrl: string, buf: Buffer): Promise<{ status: number; body: unknown }> {
    const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(new URL(rawUrl, 'http://fake').pathname);
    if (!match)
      return { status: 404, body: { ok: false, error_code: 404, description: 'Not Found' } };
    const [, token, method = ''] = match;
    if (token !== this.botToken)
      return { status: 401, body: { ok: false, error_code: 401, description: 'Unauthorized' } };
    let body: Record<string, unknown>;
    try {
      body = buf.length === 0 ? {} : (JSON.parse(buf.toString('utf8')) as Record<string, unknown>);
    } catch {
      return {
        status: 400,
        body: { ok: false, error_code: 400, description: 'Bad Request: JSON' },
      };
    }
    this.requests.push({ method, body });
    const ok = (result: unknown) => ({ status: 200, body: { ok: true, result } });
    const bad = (description: string) => ({
      status: 400,
      body: { ok: false, error_code: 400, description: `Bad Request: ${description}` },
    });
    switch (method) {
      case 'getMe':
        return ok({ id: 654321, is_bot: true, first_name: 'onair', username: this.username });
      case 'getUpdates': {
        const offset = typeof body['offset'] === 'number' ? body['offset'] : undefined;
        // Calling with an offset confirms every update below it: they are never sent again.
        if (offset !== undefined) this.updates = this.updates.filter((u) => u.update_id >= offset);
        const timeout = Math.min(Number(body['timeout'] ?? 0), 60) * 1000;
        if (this.updates.length === 0 && timeout > 0) {
          await new Promise<void>((resolve) => {
            const wake = () => {
              clearTimeout(timer);
              this.waiting.delete(wake);
              resolve();
            };
            const timer = setTimeout(wake, timeout);
            this.waiting.add(wake);
          });
        }
        return ok(this.updates.slice(0, 100));
      }
      case 'getChatMember': {
        const chat = this.chats.get(Number(body['chat_id']));
        if (!chat) return bad('chat not found');
        const user = Number(body['user_id']);
        return ok({
          status: chat.admins.has(user) ? 'administrator' : 'member',
          user: { id: user, is_bot: false, first_name: `user${user}` },
        });
      }
      case 'sendMessage': {
        const chatId = Number(body['chat_id']);
        if (!this.chats.has(chatId)) return bad('chat not found');
        if (typeof body['text'] !== 'string' || body['text'] === '')
          return bad('message text is empty');
        this.posted.set(chatId, [...(this.posted.get(chatId) ?? []), body['text']]);
        return ok({
          message_id: this.nextMessage++,
          date: 1,
          chat: { id: chatId },
          text: body['text'],
        });
      }
      default:
        return {
          status: 404,
          body: { ok: false, error_code: 404, description: 'Not Found: method not found' },
        };
    }
  }
}
