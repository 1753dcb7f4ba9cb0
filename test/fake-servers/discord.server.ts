import { FakeProvider, type Answer, type SeenRequest } from '../contracts/notifier-fakes.js';

export interface DiscordPosted {
  readonly id: string;
  embeds: { title: string; description: string; url: string; color: number }[];
}

/**
 * A fake Discord webhook (PROTOCOLS.md §4): execute with `?wait=true` answers the message,
 * without it 204; PATCH and DELETE `/messages/{id}`; a wrong token is 401, an unknown message 404.
 */
export class FakeDiscord extends FakeProvider {
  /** The channel as people see it, oldest first. */
  readonly messages: DiscordPosted[] = [];
  readonly webhookId = '112233';
  readonly token = 'wh-secret-token';
  private next = 1_000_000_000_000_000_000n;

  static async start(): Promise<FakeDiscord> {
    const fake = new FakeDiscord();
    await fake.listen();
    return fake;
  }

  get webhookUrl(): string {
    return `${this.url}/api/webhooks/${this.webhookId}/${this.token}`;
  }

  /** A 429 the way Discord sends it: float seconds in the body, whole seconds in the header. */
  static rateLimited(seconds: number): Answer {
    return {
      status: 429,
      headers: { 'retry-after': String(Math.ceil(seconds)), 'x-ratelimit-scope': 'user' },
      body: { message: 'You are being rate limited.', retry_after: seconds, global: false },
    };
  }

  protected handle(req: SeenRequest): Answer {
    const match = /^\/api\/webhooks\/([^/]+)\/([^/]+)(?:\/messages\/([^/]+))?$/.exec(req.path);
    if (!match) return { status: 404, body: { message: '404: Not Found', code: 0 } };
    const [, id, token, messageId] = match;
    if (id !== this.webhookId || token !== this.token)
      return { status: 401, body: { message: 'Invalid Webhook Token', code: 50027 } };
    if (messageId === undefined) {
      if (req.method !== 'POST')
        return { status: 405, body: { message: '405: Method Not Allowed', code: 0 } };
      const body = req.body as { embeds?: DiscordPosted['embeds']; content?: string };
      if (!body.embeds?.length && !body.content)
        return { status: 400, body: { message: 'Cannot send an empty message', code: 50006 } };
      const message: DiscordPosted = { id: String(this.next++), embeds: body.embeds ?? [] };
      this.messages.push(message);
      return req.query.get('wait') === 'true'
        ? { status: 200, body: { id: message.id, embeds: message.embeds } }
        : { status: 204 };
    }
    const index = this.messages.findIndex((m) => m.id === messageId);
    if (index < 0) return { status: 404, body: { message: 'Unknown Message', code: 10008 } };
    if (req.method === 'DELETE') {
      this.messages.splice(index, 1);
      return { status: 204 };
    }
    if (req.method === 'PATCH') {
      const message = this.messages[index]!;
      const body = req.body as { embeds?: DiscordPosted['embeds'] };
      if (body.embeds) message.embeds = body.embeds;
      return { status: 200, body: { id: message.id, embeds: message.embeds } };
    }
    return { status: 405, body: { message: '405: Method Not Allowed', code: 0 } };
  }
}
