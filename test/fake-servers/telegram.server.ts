import { FakeProvider, type Answer, type SeenRequest } from '../contracts/notifier-fakes.js';

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
