import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { listen, readBody, type Running } from '../fake-servers/listen.js';

/** One request a fake provider saw. */
export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage['headers'];
  readonly body: unknown;
}

export interface Answer {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: unknown;
}

/**
 * The common part of the HTTP fakes: records requests, lets a test script failures in front of
 * the protocol (`failNext`), or leave requests unanswered (`hang`) to test deadlines.
 */
export abstract class FakeProvider {
  readonly requests: SeenRequest[] = [];
  /** Answers in front of the protocol while it returns one (an outage that lasts a while). */
  intercept: ((req: SeenRequest) => Answer | undefined) | null = null;
  private running: Running | null = null;
  private scripted: Answer[] = [];
  private hanging = false;
  private readonly hung: ServerResponse[] = [];

  protected async listen(): Promise<void> {
    this.running = await listen((req, res) => {
      void readBody(req).then((buf) => {
        const url = new URL(req.url ?? '/', 'http://fake');
        const text = buf.toString('utf8');
        let body: unknown = text;
        if ((req.headers['content-type'] ?? '').includes('json')) {
          try {
            body = JSON.parse(text);
          } catch {
            body = text;
          }
        }
        const seen: SeenRequest = {
          method: req.method ?? 'GET',
          path: decodeURIComponent(url.pathname),
          query: url.searchParams,
          headers: req.headers,
          body,
        };
        this.requests.push(seen);
        if (this.hanging) {
          this.hung.push(res);
          return;
        }
        const answer = this.scripted.shift() ?? this.intercept?.(seen) ?? this.handle(seen);
        res.writeHead(answer.status, {
          ...(answer.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...answer.headers,
        });
        res.end(answer.body === undefined ? undefined : JSON.stringify(answer.body));
      });
    });
  }

  /** The protocol itself. */
  protected abstract handle(req: SeenRequest): Answer;

  /** The next requests get these answers, whatever they ask. */
  failNext(...answers: Answer[]): void {
    this.scripted.push(...answers);
  }

  /** From now on, take requests and never answer. */
  hang(): void {
    this.hanging = true;
  }

  get url(): string {
    if (!this.running) throw new Error('not started');
    return this.running.url;
  }

  async close(): Promise<void> {
    for (const res of this.hung) res.destroy();
    await this.running?.close();
  }
}

/** A TCP server that accepts and never says a word: an MQTT broker or SMTP server that hangs. */
export async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => {
          resolve();
        });
      }),
  };
}

/** A port nothing listens on (taken and released at once). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) =>
    server.close(() => {
      resolve();
    }),
  );
  return port;
}
