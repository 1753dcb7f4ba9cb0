import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Cancel, Clock, Timers } from '../ports/clock.js';
import type { EventBus, KeepaliveChange } from '../ports/event-bus.js';
import type { Logger } from '../ports/logger.js';
import type { KeepaliveStore, Store, StoredKeepalive } from '../ports/store.js';
import type { Principal } from './auth.js';
import { AppError } from './errors.js';
import { durationSchema, idSchema, zodIssues } from './inputs.js';
import { KeepaliveReader, type KeepaliveReaderDeps, type ReadStats } from './keepalive-reader.js';
import { allows } from './permissions.js';
import type { Readers } from './readers.js';

/** `POST /api/v1/keepalives` (a contract). */
const keepaliveInputSchema = z.strictObject({
  channel: idSchema,
  ttl: durationSchema.optional(),
  record: z.boolean({ error: 'must be true or false' }).default(false),
  /** `playlist`: reload the media playlist like a player; `full`: segments too. */
  mode: z.enum(['playlist', 'full'], { error: 'must be "playlist" or "full"' }).default('playlist'),
});

/** Timers are armed in steps no longer than this: real timers cannot wait more than ~24.8 days. */
const MAX_TIMER_MS = 86_400_000;

export interface KeepalivesOptions {
  readonly store: KeepaliveStore;
  readonly channels: Pick<Store, 'getChannel'>;
  readonly readers: Pick<Readers, 'acquire' | 'release'>;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly bus: EventBus;
  readonly logger: Logger;
  readonly defaultTtlMs: number;
  readonly maxTtlMs: number;
  /** Whether a user of that name exists now (config or API): keepalives never outlive their creator. */
  readonly userExists: (name: string) => Promise<boolean>;
  /** How keepalives read their channel (the proxy's in-process path). */
  readonly reading: KeepaliveReaderDeps;
}

/**
 * Keepalives: synthetic readers created through the API. Each holds a `keepalive` reader on its
 * channel from creation until it is removed, expires, its channel is deleted or its creator is;
 * they are persisted, so a restart re-acquires them. While held, each reads its channel through
 * the proxy like a player (`KeepaliveReader`), so an on-demand origin starts and stays up. Only
 * the creator or an admin may see or remove one.
 */
export class Keepalives {
  private readonly options: KeepalivesOptions;
  private readonly expiries = new Map<string, Cancel>();
  private readonly reading = new Map<string, KeepaliveReader>();

  constructor(options: KeepalivesOptions) {
    this.options = options;
  }

  /**
   * Re-acquires persisted keepalives; drops those that expired or lost their channel or their
   * creator meanwhile (a user deleted while this process was down, or removed from the config).
   */
  async start(): Promise<void> {
    for (const keepalive of await this.options.store.listKeepalives()) {
      if (!(await this.options.channels.getChannel(keepalive.channelId)))
        await this.drop(keepalive, 'removed');
      else if (!(await this.options.userExists(keepalive.creatorUser)))
        await this.drop(keepalive, 'removed');
      else if (keepalive.expiresAt <= this.options.clock.now())
        await this.drop(keepalive, 'expired');
      else this.hold(keepalive);
    }
  }

  /**
   * Cancels expiry timers and stops reading (without waiting for requests in flight); readers
   * and rows stay, since the process is going away.
   */
  stop(): void {
    for (const cancel of this.expiries.values()) cancel();
    this.expiries.clear();
    for (const reader of this.reading.values()) reader.stop().catch(() => undefined);
    this.reading.clear();
  }

  /** What a keepalive held by this process has read; null when another process holds it. */
  stats(id: string): ReadStats | null {
    return this.reading.get(id)?.stats() ?? null;
  }

  async create(caller: Principal, ip: string, body: unknown): Promise<StoredKeepalive> {
    const result = keepaliveInputSchema.safeParse(body);
    if (!result.success) throw AppError.invalid(zodIssues(result.error));
    const input = result.data;
    // Permission before existence, so a caller cannot probe which channels exist.
    if (!allows(caller.permissions, 'keepalive', { channel: input.channel })) {
      throw new AppError('forbidden', `no keepalive permission on channel "${input.channel}"`);
    }
    if (input.record && !allows(caller.permissions, 'record', { channel: input.channel })) {
      throw new AppError('forbidden', `no record permission on channel "${input.channel}"`);
    }
    const ttl = input.ttl ?? this.options.defaultTtlMs;
    if (ttl < 1_000 || ttl > this.options.maxTtlMs) {
      throw AppError.invalid([
        { path: 'ttl', message: `must be between 1s and ${this.options.maxTtlMs / 3_600_000}h` },
      ]);
    }
    if (!(await this.options.channels.getChannel(input.channel)))
      throw new AppError('notFound', `no channel "${input.channel}"`);
    const now = this.options.clock.now();
    const keepalive: StoredKeepalive = {
      id: randomUUID(),
      channelId: input.channel,
      creatorUser: caller.name,
      creatorIp: ip,
      record: input.record,
      mode: input.mode,
      createdAt: now,
      expiresAt: now + ttl,
    };
    await this.options.store.insertKeepalive(keepalive);
    this.hold(keepalive);
    this.announce('added', keepalive);
    // The channel may have been deleted between the check and the insert; its cleanup ran already.
    if (!(await this.options.channels.getChannel(input.channel))) {
      await this.drop(keepalive, 'removed');
      throw new AppError('notFound', `no channel "${input.channel}"`);
    }
    // Likewise the caller: a keepalive must never pass to a later user of the same name.
    if (!(await this.options.userExists(caller.name))) {
      await this.drop(keepalive, 'removed');
      throw new AppError('unauthorized', `user "${caller.name}" no longer exists`);
    }
    return keepalive;
  }

  /** The caller's own keepalives; every keepalive for an admin. */
  list(caller: Principal): Promise<StoredKeepalive[]> {
    return this.options.store.listKeepalives(caller.admin ? {} : { creatorUser: caller.name });
  }

  async get(caller: Principal, id: string): Promise<StoredKeepalive> {
    const keepalive = await this.options.store.getKeepalive(id);
    if (!keepalive) throw new AppError('notFound', `no keepalive "${id}"`);
    if (!mayAccess(caller, keepalive))
      throw new AppError('forbidden', 'only the creator or an admin may access a keepalive');
    return keepalive;
  }

  async remove(caller: Principal, id: string): Promise<void> {
    const keepalive = await this.get(caller, id);
    if (!(await this.drop(keepalive, 'removed')))
      throw new AppError('notFound', `no keepalive "${id}"`);
  }

  /** Removes the keepalives of a deleted channel. */
  async channelDeleted(channelId: string): Promise<void> {
    for (const keepalive of await this.options.store.listKeepalives({ channelId }))
      await this.drop(keepalive, 'removed');
  }

  /** Removes the keepalives of a deleted user, so none passes to a later user of that name. */
  async userDeleted(name: string): Promise<void> {
    for (const keepalive of await this.options.store.listKeepalives({ creatorUser: name }))
      await this.drop(keepalive, 'removed');
  }

  private hold(keepalive: StoredKeepalive): void {
    this.options.readers.acquire(keepalive.channelId, 'keepalive', keepalive.id);
    this.arm(keepalive);
    const reader = new KeepaliveReader(
      this.options.reading,
      keepalive.channelId,
      keepalive.id,
      keepalive.mode,
    );
    this.reading.set(keepalive.id, reader);
    reader.start();
  }

  private arm(keepalive: StoredKeepalive): void {
    const wait = Math.min(keepalive.expiresAt - this.options.clock.now(), MAX_TIMER_MS);
    this.expiries.set(
      keepalive.id,
      this.options.timers.after(wait, () => {
        if (keepalive.expiresAt > this.options.clock.now()) {
          this.arm(keepalive);
          return;
        }
        this.drop(keepalive, 'expired').catch((err: unknown) => {
          this.options.logger.error(
            { err, keepaliveId: keepalive.id, channelId: keepalive.channelId },
            'could not expire keepalive',
          );
        });
      }),
    );
  }

  /** Deletes the row, releases the reader, announces; false when someone else got there first. */
  private async drop(
    keepalive: StoredKeepalive,
    change: Exclude<KeepaliveChange, 'added'>,
  ): Promise<boolean> {
    if (!(await this.options.store.deleteKeepalive(keepalive.id))) return false;
    this.expiries.get(keepalive.id)?.();
    this.expiries.delete(keepalive.id);
    // Not awaited: a read in flight (a resolve may take its full timeout) ends on its own soon,
    // and cannot re-acquire anything (keepalive reads never acquire a reader).
    this.reading
      .get(keepalive.id)
      ?.stop()
      .catch(() => undefined);
    this.reading.delete(keepalive.id);
    this.options.readers.release(keepalive.channelId, 'keepalive', keepalive.id);
    this.announce(change, keepalive);
    return true;
  }

  private announce(change: KeepaliveChange, keepalive: StoredKeepalive): void {
    this.options.logger.info(
      {
        keepaliveId: keepalive.id,
        channelId: keepalive.channelId,
        user: keepalive.creatorUser,
        change,
      },
      `keepalive ${change}`,
    );
    this.options.bus.publish({ type: 'keepalive', change, keepalive });
  }
}

/** A keepalive belongs to its creator; admins may see and remove any. */
export function mayAccess(caller: Principal, keepalive: StoredKeepalive): boolean {
  return caller.admin || caller.name === keepalive.creatorUser;
}
