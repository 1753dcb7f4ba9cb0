import { createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { listen, readBody, type Running } from './listen.js';

export interface Received {
  /** What the receiver answered. */
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly raw: string;
  readonly body: { id: string; event: string; title: string | null; [key: string]: unknown };
}

/** How to answer one request; the default is 204. */
export type Responder = (attempt: number) => { status: number; headers?: Record<string, string> };

/** A webhook receiver that records every request and answers as a test scripts it. */
export class WebhookReceiver {
  readonly requests: Received[] = [];
  respond: Responder = () => ({ status: 204 });
  private running: Running | null = null;

  static async start(): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver();
    receiver.running = await listen((req, res) => {
      void readBody(req).then((buf) => {
        const raw = buf.toString('utf8');
        const { status, headers } = receiver.respond(receiver.requests.length);
        receiver.requests.push({
          status,
          headers: req.headers,
          raw,
          body: JSON.parse(raw) as Received['body'],
        });
        res.writeHead(status, headers).end();
      });
    });
    return receiver;
  }

  get url(): string {
    if (!this.running) throw new Error('not started');
    return `${this.running.url}/hook`;
  }

  /** Requests answered with 2xx: what the receiver actually took. */
  get accepted(): Received[] {
    return this.requests.filter((r) => r.status >= 200 && r.status < 300);
  }

  /** Accepted notifications as `event:title`, in arrival order. */
  get events(): string[] {
    return this.accepted.map((r) => `${r.body.event}:${r.body.title ?? ''}`);
  }

  verify(r: Received, secret: string): boolean {
    const expected = `sha256=${createHmac('sha256', secret).update(r.raw).digest('hex')}`;
    return r.headers['x-onair-signature'] === expected;
  }

  async close(): Promise<void> {
    await this.running?.close();
  }
}
