import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Cancel, Timers } from '../../ports/clock.js';
import type { BusMessage, EventBus } from '../../ports/event-bus.js';
import type { Logger } from '../../ports/logger.js';
import { MemoryBus } from './memory-bus.js';

/** The `LISTEN`/`NOTIFY` channel of the bus; one database per deployment. */
const CHANNEL = 'onair_bus';
/** PostgreSQL refuses a NOTIFY payload of 8000 bytes or more. */
const MAX_PAYLOAD_BYTES = 7_900;

interface Envelope {
  readonly origin: string;
  readonly message: BusMessage;
}

/**
 * The broadcast of a cluster over PostgreSQL `LISTEN`/`NOTIFY`: a message reaches this process's
 * listeners at once and every other process's when the database relays it. Notifications are sent
 * one after another, so other processes see one process's messages in the order it published
 * them. A message published while the database is away is still delivered here but not elsewhere
 * (the store keeps what matters: events, states and deliveries; the event stream replays by id).
 */
export class PostgresBus implements EventBus {
  private readonly local = new MemoryBus();
  private readonly origin = randomUUID();
  private readonly pool: pg.Pool;
  private readonly url: string;
  private readonly timers: Timers;
  private readonly logger: Logger;
  private listener: pg.Client | null = null;
  private reconnect: Cancel | null = null;
  private sending: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(deps: {
    readonly pool: pg.Pool;
    readonly url: string;
    readonly timers: Timers;
    readonly logger: Logger;
  }) {
    this.pool = deps.pool;
    this.url = deps.url;
    this.timers = deps.timers;
    this.logger = deps.logger;
  }

  /** Starts listening; resolves once the first `LISTEN` is in place. */
  async start(): Promise<void> {
    await this.listen();
  }

  publish(message: BusMessage): void {
    this.local.publish(message);
    if (this.closed) return;
    const payload = JSON.stringify({ origin: this.origin, message } satisfies Envelope);
    if (Buffer.byteLength(payload) > MAX_PAYLOAD_BYTES) {
      this.logger.warn({ type: message.type }, 'bus message too large to broadcast; kept local');
      return;
    }
    this.sending = this.sending
      .then(async () => {
        await this.pool.query('SELECT pg_notify($1, $2)', [CHANNEL, payload]);
      })
      .catch((err: unknown) => {
        this.logger.warn({ err, type: message.type }, 'could not broadcast a bus message');
      });
  }

  subscribe(listener: (message: BusMessage) => void): () => void {
    return this.local.subscribe(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.reconnect?.();
    await this.sending;
    const client = this.listener;
    this.listener = null;
    await client?.end().catch(() => undefined);
  }

  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url });
    client.on('notification', (n) => {
      this.received(n.payload);
    });
    client.on('error', (err) => {
      this.logger.warn({ err }, 'bus listener connection failed; reconnecting');
      this.lost(client);
    });
    client.on('end', () => {
      this.lost(client);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.closed) {
      await client.end();
      return;
    }
    this.listener = client;
  }

  private lost(client: pg.Client): void {
    if (this.listener !== client || this.closed) return;
    this.listener = null;
    client.end().catch(() => undefined);
    this.retry(500);
  }

  private retry(delayMs: number): void {
    if (this.closed || this.reconnect) return;
    this.reconnect = this.timers.after(delayMs, () => {
      this.reconnect = null;
      this.listen()
        .then(() => {
          this.logger.info({}, 'bus listener reconnected');
        })
        .catch((err: unknown) => {
          this.logger.warn({ err }, 'bus listener could not reconnect; retrying');
          this.retry(Math.min(delayMs * 2, 5_000));
        });
    });
  }

  private received(payload: string | undefined): void {
    if (payload === undefined) return;
    let envelope: Envelope;
    try {
      envelope = JSON.parse(payload) as Envelope;
    } catch {
      this.logger.warn({}, 'unreadable bus message ignored');
      return;
    }
    if (envelope.origin === this.origin) return;
    this.local.publish(envelope.message);
  }
}
