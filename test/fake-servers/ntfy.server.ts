import { FakeProvider, type Answer, type SeenRequest } from '../contracts/notifier-fakes.js';

export interface NtfyNotification {
  readonly id: string;
  readonly sequenceId: string;
  readonly title: string;
  readonly message: string;
  readonly tags: readonly string[];
  readonly priority: number;
  readonly click: string;
}

/**
 * A fake ntfy server (PROTOCOLS.md §5.1): JSON publish to the root, replace by sequence id
 * (≥ 2.16), `DELETE /<topic>/<sequence_id>`, optional bearer token. `notifications` is what a
 * phone subscribed to the topic would show now.
 */
export class FakeNtfy extends FakeProvider {
  /** topic → sequence id → the notification shown. */
  readonly notifications = new Map<string, Map<string, NtfyNotification>>();
  private next = 1;
  private readonly token: string | null;

  private constructor(token: string | null) {
    super();
    this.token = token;
  }

  static async start(options: { token?: string } = {}): Promise<FakeNtfy> {
    const fake = new FakeNtfy(options.token ?? null);
    await fake.listen();
    return fake;
  }

  shown(topic: string): NtfyNotification[] {
    return [...(this.notifications.get(topic)?.values() ?? [])];
  }

  protected handle(req: SeenRequest): Answer {
    if (this.token !== null && req.headers.authorization !== `Bearer ${this.token}`) {
      return { status: 403, body: { code: 40301, http: 403, error: 'forbidden' } };
    }
    if (req.method === 'POST' && req.path === '/') {
      const b = req.body as Record<string, unknown>;
      if (typeof b['topic'] !== 'string' || typeof b['message'] !== 'string')
        return { status: 400, body: { code: 40001, http: 400, error: 'invalid request' } };
      const id = `m${this.next++}`;
      const sequenceId = typeof b['sequence_id'] === 'string' ? b['sequence_id'] : id;
      const topic = this.notifications.get(b['topic']) ?? new Map<string, NtfyNotification>();
      this.notifications.set(b['topic'], topic);
      topic.set(sequenceId, {
        id,
        sequenceId,
        title: typeof b['title'] === 'string' ? b['title'] : '',
        message: b['message'],
        tags: (b['tags'] as string[] | undefined) ?? [],
        priority: Number(b['priority'] ?? 3),
        click: typeof b['click'] === 'string' ? b['click'] : '',
      });
      return {
        status: 200,
        body: {
          id,
          time: 1,
          expires: 2,
          event: 'message',
          topic: b['topic'],
          message: b['message'],
          sequence_id: sequenceId,
        },
      };
    }
    const parts = req.path.split('/').filter((p) => p !== '');
    if (req.method === 'DELETE' && parts.length === 2) {
      const [topic = '', seq = ''] = parts;
      const had = this.notifications.get(topic)?.delete(seq) ?? false;
      return had
        ? { status: 200, body: { id: `d${this.next++}`, event: 'message_delete', topic } }
        : { status: 404, body: { code: 40401, http: 404, error: 'not found' } };
    }
    return { status: 404, body: { code: 40401, http: 404, error: 'page not found' } };
  }
}
