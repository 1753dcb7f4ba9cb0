import { FakeProvider, type Answer, type SeenRequest } from '../contracts/notifier-fakes.js';

interface RoomEvent {
  readonly eventId: string;
  readonly type: 'm.room.message' | 'm.room.redaction';
  readonly content: Record<string, unknown>;
  readonly redacts?: string;
}

/**
 * A fake Matrix homeserver (PROTOCOLS.md §3): header-only bearer auth, one joined room,
 * `send/m.room.message/{txnId}` with txn idempotency per token and path (a retransmission gets
 * the original event id), `redact/{eventId}/{txnId}`, `m.replace` edits.
 */
export class FakeMatrix extends FakeProvider {
  readonly accessToken = 'syt_secret_token';
  readonly roomId = '!room:fake.local';
  readonly events: RoomEvent[] = [];
  private readonly txns = new Map<string, string>();
  private next = 1;

  static async start(): Promise<FakeMatrix> {
    const fake = new FakeMatrix();
    await fake.listen();
    return fake;
  }

  /** A 429 with `retry_after_ms` in the body and, if given, the newer `Retry-After` header. */
  static rateLimited(retryAfterMs: number, headerSeconds?: number): Answer {
    return {
      status: 429,
      ...(headerSeconds === undefined ? {} : { headers: { 'retry-after': String(headerSeconds) } }),
      body: {
        errcode: 'M_LIMIT_EXCEEDED',
        error: 'Too many requests',
        retry_after_ms: retryAfterMs,
      },
    };
  }

  /** What a client shows: originals not redacted, each with its newest edit applied. */
  timeline(): string[] {
    const redacted = new Set(
      this.events.filter((e) => e.redacts !== undefined).map((e) => e.redacts),
    );
    const shown: string[] = [];
    for (const e of this.events) {
      if (
        e.type !== 'm.room.message' ||
        redacted.has(e.eventId) ||
        e.content['m.relates_to'] !== undefined
      )
        continue;
      const edits = this.events.filter(
        (x) =>
          (x.content['m.relates_to'] as { event_id?: string } | undefined)?.event_id === e.eventId,
      );
      const latest = edits.at(-1);
      const content = latest
        ? (latest.content['m.new_content'] as Record<string, unknown>)
        : e.content;
      shown.push(String(content['body']));
    }
    return shown;
  }

  protected handle(req: SeenRequest): Answer {
    if (req.query.has('access_token'))
      return {
        status: 401,
        body: { errcode: 'M_MISSING_TOKEN', error: 'query tokens are not supported' },
      };
    if (req.headers.authorization !== `Bearer ${this.accessToken}`)
      return { status: 401, body: { errcode: 'M_UNKNOWN_TOKEN', error: 'Unknown token' } };
    const match =
      /^\/_matrix\/client\/v3\/rooms\/([^/]+)\/(send\/m\.room\.message|redact\/[^/]+)\/([^/]+)$/.exec(
        req.path,
      );
    if (req.method !== 'PUT' || !match)
      return { status: 404, body: { errcode: 'M_UNRECOGNIZED', error: 'Unrecognized request' } };
    const [, room, what = '', txn] = match;
    if (room !== this.roomId)
      return { status: 403, body: { errcode: 'M_FORBIDDEN', error: 'not in room' } };
    const key = `${req.path}\u0000${txn}`;
    const earlier = this.txns.get(key);
    if (earlier !== undefined) return { status: 200, body: { event_id: earlier } };
    const eventId = `$ev${this.next++}`;
    const content = req.body as Record<string, unknown>;
    if (what.startsWith('redact/')) {
      const target = what.slice('redact/'.length);
      if (!this.events.some((e) => e.eventId === target))
        return { status: 404, body: { errcode: 'M_NOT_FOUND', error: 'no such event' } };
      this.events.push({ eventId, type: 'm.room.redaction', content, redacts: target });
    } else {
      if (content['format'] !== undefined && typeof content['formatted_body'] !== 'string')
        return { status: 400, body: { errcode: 'M_BAD_JSON', error: 'formatted_body' } };
      this.events.push({ eventId, type: 'm.room.message', content });
    }
    this.txns.set(key, eventId);
    return { status: 200, body: { event_id: eventId } };
  }
}
