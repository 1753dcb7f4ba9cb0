import { randomUUID } from 'node:crypto';
import { RedisConnection, type RedisClient } from 'bullmq';
import type { Timers } from '../../../ports/clock.js';
import type { Lease, Leases, Singleton } from '../../../ports/jobs.js';
import type { Logger } from '../../../ports/logger.js';
import { runSingleton } from '../singleton.js';

// Compare-and-act on the holder's token, so a holder whose lease expired and was taken over
// can neither extend nor delete the new holder's lease.
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

/**
 * Leases as Redis keys (`<prefix>:lease:<name>`) holding a random token with a time to live:
 * `SET NX PX` takes one, a token-checked `PEXPIRE` renews it every ttl/3, a token-checked `DEL`
 * releases it. A holder that dies stops renewing, and the key expires within the ttl.
 */
export class RedisLeases implements Leases {
  private readonly connection: RedisConnection;
  private readonly prefix: string;
  private readonly timers: Timers;
  private readonly logger: Logger;
  private readonly held = new Set<Lease>();

  constructor(deps: {
    readonly redisUrl: string;
    readonly prefix: string;
    readonly timers: Timers;
    readonly logger: Logger;
  }) {
    // BullMQ insists on maxRetriesPerRequest: null (commands wait for a reconnect), so a time
    // limit per command is what lets a renewal fail, and the lease count as lost, in time.
    this.connection = new RedisConnection(
      { url: deps.redisUrl, maxRetriesPerRequest: null, commandTimeout: 2_000 },
      { shared: false },
    );
    this.prefix = deps.prefix;
    this.timers = deps.timers;
    this.logger = deps.logger;
  }

  async tryAcquire(name: string, ttlMs: number): Promise<Lease | null> {
    const client = await this.connection.client;
    const key = `${this.prefix}:lease:${name}`;
    const token = randomUUID();
    const ttl = Math.max(1, Math.round(ttlMs));
    if ((await command(client, 'set', [key, token, 'PX', ttl, 'NX'])) !== 'OK') return null;
    const lost = new AbortController();
    let released = false;
    let cancel = (): void => undefined;
    const lease: Lease = {
      name,
      signal: lost.signal,
      release: async () => {
        if (released) return;
        released = true;
        cancel();
        this.held.delete(lease);
        lost.abort();
        await command(client, 'eval', [RELEASE, 1, key, token]).catch((err: unknown) => {
          // It expires on its own within the ttl.
          this.logger.warn({ lease: name, err }, 'could not release lease');
        });
      },
    };
    let lastRenewed = Date.now();
    const renew = (): void => {
      void command(client, 'eval', [RENEW, 1, key, token, ttl]).then(
        (result) => {
          if (released) return;
          if (result !== 1) {
            this.logger.warn({ lease: name }, 'lease lost: taken over after it expired');
            void lease.release();
            return;
          }
          lastRenewed = Date.now();
          cancel = this.timers.after(ttl / 3, renew);
        },
        (err: unknown) => {
          if (released) return;
          // Keep trying while the lease may still be ours; past the ttl someone else may hold it.
          if (Date.now() - lastRenewed >= ttl) {
            this.logger.warn({ lease: name, err }, 'lease lost: could not renew it in time');
            void lease.release();
          } else cancel = this.timers.after(Math.min(ttl / 10, 1_000), renew);
        },
      );
    };
    cancel = this.timers.after(ttl / 3, renew);
    this.held.add(lease);
    return lease;
  }

  singleton(name: string, ttlMs: number, task: (lease: Lease) => Promise<void>): Singleton {
    return runSingleton(this, this.timers, this.logger, name, ttlMs, task);
  }

  /** Releases every lease still held, then disconnects. */
  async close(): Promise<void> {
    await Promise.all([...this.held].map((lease) => lease.release()));
    await this.connection.close();
  }
}

/** `name` in lower case: BullMQ's client wrapper calls the ioredis method of that name. */
async function command(
  client: RedisClient,
  name: string,
  args: readonly (string | number)[],
): Promise<unknown> {
  return (await client.runCommand(name, [...args])) as unknown;
}
