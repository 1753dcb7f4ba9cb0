import {
  createServer,
  type IncomingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { readBody } from './listen.js';

/** How the receiver treats one request. */
export type ReceiverAnswer =
  | {
      readonly kind: 'answer';
      readonly status: number;
      readonly headers?: Record<string, string>;
      readonly delayMs?: number;
    }
  /** Reads the request and never answers (the sender's timeout must fire). */
  | { readonly kind: 'hang' };

export interface ReceivedRequest {
  /** `X-Onair-Delivery`: the stable event id receivers dedupe on. */
  readonly deliveryId: string;
  readonly event: string;
  readonly channel: string;
  readonly title: string | null;
  readonly at: number;
  readonly headers: IncomingHttpHeaders;
  /** What the receiver answered; null while hanging or when the sender went away first. */
  status: number | null;
}

/**
 * A webhook receiver for fault tests: it can be down (its port closed, so connections are
 * refused), answer as a script says (429 with Retry-After, 5xx), answer late, or hang. Unlike
 * `WebhookReceiver` it keeps its port across down/up, so the sender's target URL stays valid.
 */
export class FaultyReceiver {
  readonly requests: ReceivedRequest[] = [];
  answer: (request: ReceivedRequest, attempt: number) => ReceiverAnswer = () => ({
    kind: 'answer',
    status: 204,
  });
  private server: Server | null = null;
  private port = 0;
  private readonly sockets = new Set<Socket>();
  private readonly held = new Set<ServerResponse>();
  private readonly timers = new Set<NodeJS.Timeout>();

  static async start(port = 0): Promise<FaultyReceiver> {
    const receiver = new FaultyReceiver();
    await receiver.up(port);
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  get isUp(): boolean {
    return this.server !== null;
  }

  /** Requests answered with 2xx: what the receiver took. */
  get accepted(): ReceivedRequest[] {
    return this.requests.filter((r) => r.status !== null && r.status >= 200 && r.status < 300);
  }

  /** Listens (again) on the same port. */
  async up(port = this.port): Promise<void> {
    if (this.server) return;
    const server = createServer((req, res) => {
      void readBody(req).then((buf) => {
        this.handle(req.headers, buf, res);
      });
    });
    server.keepAliveTimeout = 5_000;
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Closes the port and drops every connection: the sender sees ECONNREFUSED until `up`. */
  async down(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.held.clear();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) =>
      server.close(() => {
        resolve();
      }),
    );
  }

  close(): Promise<void> {
    return this.down();
  }

  private handle(headers: IncomingHttpHeaders, raw: Buffer, res: ServerResponse): void {
    const body = JSON.parse(raw.toString('utf8')) as {
      event: string;
      title: string | null;
      channel: { id: string };
    };
    const request: ReceivedRequest = {
      deliveryId: String(headers['x-onair-delivery']),
      event: body.event,
      channel: body.channel.id,
      title: body.title,
      at: Date.now(),
      headers,
      status: null,
    };
    const attempt = this.requests.filter((r) => r.deliveryId === request.deliveryId).length;
    this.requests.push(request);
    const answer = this.answer(request, attempt);
    if (answer.kind === 'hang') {
      this.held.add(res);
      return;
    }
    const send = () => {
      // Counted as taken only if the answer could be written: a sender that gave up took nothing.
      if (res.destroyed || res.socket?.destroyed === true) return;
      request.status = answer.status;
      res.writeHead(answer.status, answer.headers).end();
    };
    if (answer.delayMs === undefined || answer.delayMs <= 0) {
      send();
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      send();
    }, answer.delayMs);
    this.timers.add(timer);
  }
}
