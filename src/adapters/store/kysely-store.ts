import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { ChannelState } from '../../core/model.js';
import type { Instant } from '../../core/time.js';
import type { Target } from '../../ports/notifier.js';
import type {
  AuthStore,
  KeepaliveStore,
  Permission,
  RecordingStore,
  ScheduleStore,
  StoredCalendarKey,
  StoredScheduleEntry,
  StoredRecording,
  StoredKeepalive,
  StoredSession,
  StoredToken,
  StoredUser,
  ChannelEntry,
  ChannelSource,
  Commit,
  Delivery,
  DeliveryStatus,
  DueDelivery,
  EventQuery,
  StateTouch,
  Store,
  StoredChannel,
  StoredEvent,
  StoredTarget,
  Subscription,
} from '../../ports/store.js';
import type { Channel } from '../../core/model.js';
import type { Dialect } from './migrations.js';
import {
  channelFromRow,
  deliveryFromRow,
  eventFromRow,
  eventToRow,
  stateFromRow,
  stateToRow,
  subscriptionFromRow,
  targetFromRow,
} from './rows.js';
import type {
  ChannelStateTable,
  Database,
  KeepalivesTable,
  RecordingsTable,
  ScheduleEntriesTable,
  TokensTable,
  UsersTable,
} from './schema.js';

/** Rows per multi-row statement: 9 channel columns × 500 stays far under SQLite's 32,766 parameters. */
const PUT_CHUNK = 500;
/** 16 columns × 1,000 rows stays under SQLite's 32,766 bound parameters. */
const TOUCH_CHUNK = 1_000;

/** The store over Kysely; the SQLite and PostgreSQL adapters differ only in how they connect. */
export class KyselyStore
  implements Store, AuthStore, KeepaliveStore, RecordingStore, ScheduleStore
{
  private readonly db: Kysely<Database>;
  private readonly dialect: Dialect;
  private readonly onClose: () => Promise<void>;
  private readonly writeStates: ((rows: readonly ChannelStateTable[]) => void) | undefined;

  /**
   * `writeStates` is a dialect's fastest way to upsert many state rows, run while holding the
   * connection (SQLite: one prepared statement in one transaction); without it, one JSON statement
   * per chunk (PostgreSQL's jsonb_to_recordset).
   */
  constructor(
    db: Kysely<Database>,
    dialect: Dialect,
    onClose: () => Promise<void> = () => db.destroy(),
    writeStates?: (rows: readonly ChannelStateTable[]) => void,
  ) {
    this.db = db;
    this.dialect = dialect;
    this.onClose = onClose;
    this.writeStates = writeStates;
  }

  async listChannels(): Promise<StoredChannel[]> {
    const rows = await this.db.selectFrom('channels').selectAll().orderBy('id').execute();
    return rows.map(channelFromRow);
  }

  async getChannel(id: string): Promise<StoredChannel | undefined> {
    const row = await this.db
      .selectFrom('channels')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && channelFromRow(row);
  }

  putChannel(
    channel: Channel,
    subscriptions: readonly Subscription[],
    source: ChannelSource,
    now: Instant,
  ): Promise<void> {
    return this.putChannels([{ channel, subscriptions }], source, now);
  }

  async putChannels(
    entries: readonly ChannelEntry[],
    source: ChannelSource,
    now: Instant,
  ): Promise<void> {
    // Multi-row statements in one transaction: a config with 100k channels loads in seconds.
    await this.db.transaction().execute(async (tx) => {
      for (let i = 0; i < entries.length; i += PUT_CHUNK) {
        const chunk = entries.slice(i, i + PUT_CHUNK);
        await tx
          .insertInto('channels')
          .values(
            chunk.map(({ channel }) => ({
              id: channel.id,
              platform: channel.platform,
              url: channel.url,
              name: channel.name,
              interval_ms: channel.intervalMs,
              options: JSON.stringify(channel.options),
              source,
              created_at: now,
              updated_at: now,
            })),
          )
          .onConflict((oc) =>
            oc.column('id').doUpdateSet((eb) => ({
              platform: eb.ref('excluded.platform'),
              url: eb.ref('excluded.url'),
              name: eb.ref('excluded.name'),
              interval_ms: eb.ref('excluded.interval_ms'),
              options: eb.ref('excluded.options'),
              source: eb.ref('excluded.source'),
              updated_at: eb.ref('excluded.updated_at'),
            })),
          )
          .execute();
        await tx
          .deleteFrom('subscriptions')
          .where(
            'channel_id',
            'in',
            chunk.map(({ channel }) => channel.id),
          )
          .execute();
        const subscriptions = chunk.flatMap(({ channel, subscriptions: subs }) =>
          subs.map((s) => ({
            channel_id: channel.id,
            target_id: s.targetId,
            events: JSON.stringify(s.events),
            options: JSON.stringify(s.options),
          })),
        );
        for (let j = 0; j < subscriptions.length; j += PUT_CHUNK) {
          await tx
            .insertInto('subscriptions')
            .values(subscriptions.slice(j, j + PUT_CHUNK))
            .execute();
        }
      }
    });
  }

  async deleteChannel(id: string): Promise<boolean> {
    const result = await this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('subscriptions').where('channel_id', '=', id).execute();
      await tx.deleteFrom('channel_state').where('channel_id', '=', id).execute();
      return tx.deleteFrom('channels').where('id', '=', id).executeTakeFirst();
    });
    return Number(result.numDeletedRows) > 0;
  }

  async listTargets(): Promise<StoredTarget[]> {
    const rows = await this.db.selectFrom('targets').selectAll().orderBy('id').execute();
    return rows.map(targetFromRow);
  }

  async getTarget(id: string): Promise<StoredTarget | undefined> {
    const row = await this.db
      .selectFrom('targets')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && targetFromRow(row);
  }

  async putTarget(target: Target, source: ChannelSource, now: Instant): Promise<void> {
    const options = JSON.stringify(target.options);
    await this.db
      .insertInto('targets')
      .values({ id: target.id, type: target.type, options, source, created_at: now })
      .onConflict((oc) => oc.column('id').doUpdateSet({ type: target.type, options, source }))
      .execute();
  }

  async deleteTarget(id: string): Promise<'deleted' | 'notFound' | 'inUse'> {
    return this.db.transaction().execute(async (tx) => {
      const used = await tx
        .selectFrom('subscriptions')
        .select('channel_id')
        .where('target_id', '=', id)
        .executeTakeFirst();
      if (used) return 'inUse';
      const result = await tx.deleteFrom('targets').where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0 ? 'deleted' : 'notFound';
    });
  }

  async listSubscriptions(channelId?: string): Promise<Subscription[]> {
    let query = this.db.selectFrom('subscriptions').selectAll();
    if (channelId !== undefined) query = query.where('channel_id', '=', channelId);
    const rows = await query.orderBy('channel_id').orderBy('target_id').execute();
    return rows.map(subscriptionFromRow);
  }

  async loadStates(): Promise<Map<string, ChannelState>> {
    const rows = await this.db.selectFrom('channel_state').selectAll().execute();
    return new Map(rows.map((row) => [row.channel_id, stateFromRow(row)]));
  }

  async getState(channelId: string): Promise<ChannelState | undefined> {
    const row = await this.db
      .selectFrom('channel_state')
      .selectAll()
      .where('channel_id', '=', channelId)
      .executeTakeFirst();
    return row && stateFromRow(row);
  }

  async getStates(channelIds: readonly string[]): Promise<Map<string, ChannelState>> {
    const states = new Map<string, ChannelState>();
    // Chunks keep each statement under the dialects' bound-parameter limits.
    for (let i = 0; i < channelIds.length; i += 1_000) {
      const rows = await this.db
        .selectFrom('channel_state')
        .selectAll()
        .where('channel_id', 'in', channelIds.slice(i, i + 1_000))
        .execute();
      for (const row of rows) states.set(row.channel_id, stateFromRow(row));
    }
    return states;
  }

  async commit(commit: Commit): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      const exists = await tx
        .selectFrom('channels')
        .select('id')
        .where('id', '=', commit.channelId)
        .executeTakeFirst();
      // A channel deleted while its probe was in flight: nothing to remember.
      if (!exists) return;
      await upsertState(tx, commit.channelId, commit.state);
      if (commit.events.length > 0) {
        await tx
          .insertInto('events')
          .values(commit.events.map(eventToRow))
          .onConflict((oc) => oc.column('id').doNothing())
          .execute();
      }
      if (commit.deliveries.length > 0) {
        const at = commit.events[0]?.at ?? 0;
        await tx
          .insertInto('deliveries')
          .values(
            commit.deliveries.map((d) => ({
              event_id: d.eventId,
              target_id: d.targetId,
              channel_id: commit.channelId,
              status: 'pending',
              attempts: 0,
              next_attempt_at: at,
              last_error: null,
              provider_message_id: null,
              created_at: at,
              updated_at: at,
            })),
          )
          .onConflict((oc) => oc.columns(['event_id', 'target_id']).doNothing())
          .execute();
      }
    });
  }

  async resetState(channelId: string): Promise<void> {
    await this.db.deleteFrom('channel_state').where('channel_id', '=', channelId).execute();
  }

  async touch(touches: readonly StateTouch[]): Promise<void> {
    if (touches.length === 0) return;
    const rows = touches.map((t) => stateToRow(t.channelId, t.state));
    // Both writers skip rows of channels deleted meanwhile and never let a late batch undo a state
    // checked after it (another process of a cluster, a commit in between).
    const write = this.writeStates;
    if (write) {
      await this.db.connection().execute(async () => {
        write(rows);
      });
      return;
    }
    // Multi-row VALUES through the query builder allocate tens of objects per row; at 100k
    // channels that churn alone outgrows the collector. One JSON parameter per chunk instead.
    await this.db.transaction().execute(async (tx) => {
      for (let i = 0; i < rows.length; i += TOUCH_CHUNK) {
        await touchPostgres(JSON.stringify(rows.slice(i, i + TOUCH_CHUNK))).execute(tx);
      }
    });
  }

  async listEvents(query: EventQuery): Promise<StoredEvent[]> {
    let q = this.db.selectFrom('events').selectAll();
    if (query.channelId !== undefined) q = q.where('channel_id', '=', query.channelId);
    if (query.before !== undefined) q = q.where('at', '<', query.before);
    const rows = await q.orderBy('at', 'desc').orderBy('seq', 'desc').limit(query.limit).execute();
    return rows.map(eventFromRow);
  }

  async getEvent(id: string): Promise<StoredEvent | undefined> {
    const row = await this.db
      .selectFrom('events')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && eventFromRow(row);
  }

  async dueDeliveries(now: Instant, limit: number): Promise<DueDelivery[]> {
    const rows = await dueQuery(this.db, now, limit).execute();
    return rows.map(dueFromRow);
  }

  async claimDueDeliveries(now: Instant, limit: number, leaseMs: number): Promise<DueDelivery[]> {
    let due = dueQuery(this.db, now, limit).clearSelect().select('d.seq');
    // Concurrent claimers skip each other's rows instead of waiting for them (or taking them too).
    // SQLite needs no row locks: one statement runs alone.
    if (this.dialect === 'postgres') due = due.forUpdate('d').skipLocked();
    const until = now + leaseMs;
    const claimed = await this.db
      .updateTable('deliveries')
      .set({ next_attempt_at: until })
      .where('seq', 'in', due)
      .returning('seq')
      .execute();
    if (claimed.length === 0) return [];
    const rows = await withEvent(this.db)
      .where(
        'd.seq',
        'in',
        claimed.map((c) => c.seq),
      )
      .orderBy('d.seq')
      .execute();
    return rows.map(dueFromRow);
  }

  async nextDeliveryAt(): Promise<Instant | undefined> {
    const row = await this.db
      .selectFrom('deliveries')
      .select((eb) => eb.fn.min('next_attempt_at').as('next'))
      .where('status', '=', 'pending')
      .executeTakeFirst();
    return row?.next ?? undefined;
  }

  async updateDelivery(
    seq: number,
    change: Pick<
      Delivery,
      'status' | 'attempts' | 'nextAttemptAt' | 'lastError' | 'providerMessageId'
    >,
    now: Instant,
  ): Promise<void> {
    await this.db
      .updateTable('deliveries')
      .set({
        status: change.status,
        attempts: change.attempts,
        next_attempt_at: change.nextAttemptAt,
        last_error: change.lastError,
        provider_message_id: change.providerMessageId,
        updated_at: now,
      })
      .where('seq', '=', seq)
      .execute();
  }

  async listDeliveries(query: {
    eventId?: string;
    targetId?: string;
    status?: DeliveryStatus;
    limit: number;
  }): Promise<Delivery[]> {
    let q = this.db.selectFrom('deliveries').selectAll();
    if (query.eventId !== undefined) q = q.where('event_id', '=', query.eventId);
    if (query.targetId !== undefined) q = q.where('target_id', '=', query.targetId);
    if (query.status !== undefined) q = q.where('status', '=', query.status);
    const rows = await q.orderBy('seq', 'desc').limit(query.limit).execute();
    return rows.map(deliveryFromRow);
  }

  async countDeliveries(): Promise<Record<DeliveryStatus, number>> {
    const rows = await this.db
      .selectFrom('deliveries')
      .select((eb) => ['status', eb.fn.countAll<number>().as('n')])
      .groupBy('status')
      .execute();
    const counts: Record<DeliveryStatus, number> = { pending: 0, sent: 0, failed: 0 };
    for (const row of rows) counts[row.status as DeliveryStatus] = row.n;
    return counts;
  }

  async getSetting(key: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('settings')
      .select('value')
      .where('key', '=', key)
      .executeTakeFirst();
    return row?.value;
  }

  async setSetting(key: string, value: string): Promise<void> {
    await this.db
      .insertInto('settings')
      .values({ key, value })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
      .execute();
  }

  async listUsers(): Promise<StoredUser[]> {
    const rows = await this.db.selectFrom('users').selectAll().orderBy('name').execute();
    return rows.map(userFromRow);
  }

  async getUser(name: string): Promise<StoredUser | undefined> {
    const row = await this.db
      .selectFrom('users')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirst();
    return row && userFromRow(row);
  }

  async insertUser(user: StoredUser): Promise<boolean> {
    const result = await this.db
      .insertInto('users')
      .values({
        name: user.name,
        permissions: JSON.stringify(user.permissions),
        allowed_ips: JSON.stringify(user.allowedIps),
        created_at: user.createdAt,
      })
      .onConflict((oc) => oc.column('name').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async updateUser(
    name: string,
    change: Pick<StoredUser, 'permissions' | 'allowedIps'>,
  ): Promise<boolean> {
    const result = await this.db
      .updateTable('users')
      .set({
        permissions: JSON.stringify(change.permissions),
        allowed_ips: JSON.stringify(change.allowedIps),
      })
      .where('name', '=', name)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async deleteUser(name: string): Promise<boolean> {
    const result = await this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('sessions').where('user_name', '=', name).execute();
      await tx.deleteFrom('tokens').where('user_name', '=', name).execute();
      return tx.deleteFrom('users').where('name', '=', name).executeTakeFirst();
    });
    return Number(result.numDeletedRows) > 0;
  }

  async insertToken(token: StoredToken): Promise<void> {
    await this.db
      .insertInto('tokens')
      .values({
        id: token.id,
        user_name: token.userName,
        name: token.name,
        hash: token.hash,
        created_at: token.createdAt,
        expires_at: token.expiresAt,
      })
      .execute();
  }

  async getToken(id: string): Promise<StoredToken | undefined> {
    const row = await this.db
      .selectFrom('tokens')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && tokenFromRow(row);
  }

  async listTokens(userName?: string): Promise<StoredToken[]> {
    let query = this.db.selectFrom('tokens').selectAll();
    if (userName !== undefined) query = query.where('user_name', '=', userName);
    const rows = await query.orderBy('created_at').orderBy('id').execute();
    return rows.map(tokenFromRow);
  }

  async deleteToken(id: string): Promise<boolean> {
    const result = await this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('sessions').where('token_id', '=', id).execute();
      return tx.deleteFrom('tokens').where('id', '=', id).executeTakeFirst();
    });
    return Number(result.numDeletedRows) > 0;
  }

  async insertSession(session: StoredSession): Promise<void> {
    await this.db
      .insertInto('sessions')
      .values({
        hash: session.hash,
        user_name: session.userName,
        token_id: session.tokenId,
        created_at: session.createdAt,
        expires_at: session.expiresAt,
      })
      .execute();
  }

  async getSession(hash: string): Promise<StoredSession | undefined> {
    const row = await this.db
      .selectFrom('sessions')
      .selectAll()
      .where('hash', '=', hash)
      .executeTakeFirst();
    return (
      row && {
        hash: row.hash,
        userName: row.user_name,
        tokenId: row.token_id,
        createdAt: row.created_at,
        expiresAt: row.expires_at,
      }
    );
  }

  async deleteSession(hash: string): Promise<boolean> {
    const result = await this.db.deleteFrom('sessions').where('hash', '=', hash).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async pruneHistory(before: Instant): Promise<{ events: number; deliveries: number }> {
    return this.db.transaction().execute(async (tx) => {
      const deliveries = await tx
        .deleteFrom('deliveries')
        .where('status', '!=', 'pending')
        .where('updated_at', '<', before)
        .executeTakeFirst();
      const events = await tx
        .deleteFrom('events')
        .where('at', '<', before)
        .where((eb) =>
          eb.not(
            eb.exists(
              eb
                .selectFrom('deliveries')
                .select('deliveries.seq')
                .whereRef('deliveries.event_id', '=', 'events.id'),
            ),
          ),
        )
        .executeTakeFirst();
      return {
        events: Number(events.numDeletedRows),
        deliveries: Number(deliveries.numDeletedRows),
      };
    });
  }

  async trimSessions(userName: string, keep: number): Promise<number> {
    const result = await this.db
      .deleteFrom('sessions')
      .where('user_name', '=', userName)
      .where('hash', 'not in', (eb) =>
        eb
          .selectFrom('sessions')
          .select('hash')
          .where('user_name', '=', userName)
          .orderBy('created_at', 'desc')
          .orderBy('hash')
          .limit(keep),
      )
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async deleteExpiredSessions(now: Instant): Promise<number> {
    const result = await this.db
      .deleteFrom('sessions')
      .where('expires_at', '<=', now)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async insertKeepalive(keepalive: StoredKeepalive): Promise<void> {
    await this.db
      .insertInto('keepalives')
      .values({
        id: keepalive.id,
        channel_id: keepalive.channelId,
        creator_user: keepalive.creatorUser,
        creator_ip: keepalive.creatorIp,
        record: keepalive.record ? 1 : 0,
        mode: keepalive.mode,
        created_at: keepalive.createdAt,
        expires_at: keepalive.expiresAt,
      })
      .execute();
  }

  async getKeepalive(id: string): Promise<StoredKeepalive | undefined> {
    const row = await this.db
      .selectFrom('keepalives')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && keepaliveFromRow(row);
  }

  async listKeepalives(
    query: { readonly creatorUser?: string; readonly channelId?: string } = {},
  ): Promise<StoredKeepalive[]> {
    let q = this.db.selectFrom('keepalives').selectAll();
    if (query.creatorUser !== undefined) q = q.where('creator_user', '=', query.creatorUser);
    if (query.channelId !== undefined) q = q.where('channel_id', '=', query.channelId);
    const rows = await q.orderBy('created_at').orderBy('id').execute();
    return rows.map(keepaliveFromRow);
  }

  async deleteKeepalive(id: string): Promise<boolean> {
    const result = await this.db.deleteFrom('keepalives').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async insertRecording(recording: StoredRecording): Promise<boolean> {
    const result = await this.db
      .insertInto('recordings')
      .values({
        id: recording.id,
        channel_id: recording.channelId,
        session: recording.session,
        part: recording.part,
        path: recording.path,
        container: recording.container,
        started_at: recording.startedAt,
        ended_at: recording.endedAt,
        bytes: recording.bytes,
        status: recording.status,
        end_reason: recording.endReason,
        resume: recording.resume === null ? null : JSON.stringify(recording.resume),
        media_ms: recording.mediaMs ?? null,
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async updateRecording(
    id: string,
    change: Partial<
      Pick<
        StoredRecording,
        'path' | 'container' | 'endedAt' | 'bytes' | 'status' | 'endReason' | 'resume' | 'mediaMs'
      >
    >,
  ): Promise<void> {
    const set: Partial<RecordingsTable> = {};
    if (change.path !== undefined) set.path = change.path;
    if (change.container !== undefined) set.container = change.container;
    if (change.endedAt !== undefined) set.ended_at = change.endedAt;
    if (change.bytes !== undefined) set.bytes = change.bytes;
    if (change.status !== undefined) set.status = change.status;
    if (change.endReason !== undefined) set.end_reason = change.endReason;
    if (change.resume !== undefined)
      set.resume = change.resume === null ? null : JSON.stringify(change.resume);
    if (change.mediaMs !== undefined) set.media_ms = change.mediaMs;
    if (Object.keys(set).length === 0) return;
    await this.db.updateTable('recordings').set(set).where('id', '=', id).execute();
  }

  async getRecording(id: string): Promise<StoredRecording | undefined> {
    const row = await this.db
      .selectFrom('recordings')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && recordingFromRow(row);
  }

  async listRecordings(
    query: {
      readonly channelId?: string;
      readonly session?: string;
      readonly status?: StoredRecording['status'];
    } = {},
  ): Promise<StoredRecording[]> {
    let q = this.db.selectFrom('recordings').selectAll();
    if (query.channelId !== undefined) q = q.where('channel_id', '=', query.channelId);
    if (query.session !== undefined) q = q.where('session', '=', query.session);
    if (query.status !== undefined) q = q.where('status', '=', query.status);
    const rows = await q.orderBy('started_at').orderBy('id').execute();
    return rows.map(recordingFromRow);
  }

  async deleteRecording(id: string): Promise<boolean> {
    const result = await this.db.deleteFrom('recordings').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async listScheduleEntries(window?: {
    readonly from: Instant;
    readonly to: Instant;
  }): Promise<StoredScheduleEntry[]> {
    let q = this.db.selectFrom('schedule_entries').selectAll();
    if (window !== undefined)
      q = q
        .where('start_at', '<', window.to)
        .where((eb) => eb(eb.fn.coalesce('end_at', 'start_at'), '>=', window.from));
    const rows = await q.orderBy('start_at').orderBy('id').execute();
    return rows.map(scheduleEntryFromRow);
  }

  async getScheduleEntry(id: string): Promise<StoredScheduleEntry | undefined> {
    const row = await this.db
      .selectFrom('schedule_entries')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && scheduleEntryFromRow(row);
  }

  async insertScheduleEntry(entry: StoredScheduleEntry): Promise<boolean> {
    const result = await this.db
      .insertInto('schedule_entries')
      .values({
        id: entry.id,
        title: entry.title,
        start_at: entry.start,
        end_at: entry.end,
        channel_id: entry.channelId,
        description: entry.description,
        url: entry.url,
        created_at: entry.createdAt,
        updated_at: entry.updatedAt,
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async updateScheduleEntry(
    id: string,
    change: Pick<
      StoredScheduleEntry,
      'title' | 'start' | 'end' | 'channelId' | 'description' | 'url' | 'updatedAt'
    >,
  ): Promise<boolean> {
    const result = await this.db
      .updateTable('schedule_entries')
      .set({
        title: change.title,
        start_at: change.start,
        end_at: change.end,
        channel_id: change.channelId,
        description: change.description,
        url: change.url,
        updated_at: change.updatedAt,
      })
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async deleteScheduleEntry(id: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('schedule_entries')
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async countScheduleEntries(): Promise<number> {
    const row = await this.db
      .selectFrom('schedule_entries')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async putCalendarKey(key: StoredCalendarKey): Promise<void> {
    await this.db
      .insertInto('calendar_keys')
      .values({ user_name: key.userName, hash: key.hash, created_at: key.createdAt })
      .onConflict((oc) =>
        oc.column('user_name').doUpdateSet({ hash: key.hash, created_at: key.createdAt }),
      )
      .execute();
  }

  async getCalendarKey(userName: string): Promise<StoredCalendarKey | undefined> {
    const row = await this.db
      .selectFrom('calendar_keys')
      .selectAll()
      .where('user_name', '=', userName)
      .executeTakeFirst();
    return row && { userName: row.user_name, hash: row.hash, createdAt: row.created_at };
  }

  async findCalendarKey(hash: string): Promise<StoredCalendarKey | undefined> {
    const row = await this.db
      .selectFrom('calendar_keys')
      .selectAll()
      .where('hash', '=', hash)
      .executeTakeFirst();
    return row && { userName: row.user_name, hash: row.hash, createdAt: row.created_at };
  }

  async deleteCalendarKey(userName: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('calendar_keys')
      .where('user_name', '=', userName)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  close(): Promise<void> {
    return this.onClose();
  }
}

function scheduleEntryFromRow(row: Selectable<ScheduleEntriesTable>): StoredScheduleEntry {
  return {
    id: row.id,
    title: row.title,
    start: row.start_at,
    end: row.end_at,
    channelId: row.channel_id,
    description: row.description,
    url: row.url,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function recordingFromRow(row: Selectable<RecordingsTable>): StoredRecording {
  return {
    id: row.id,
    channelId: row.channel_id,
    session: row.session,
    part: row.part,
    path: row.path,
    container: row.container as StoredRecording['container'],
    startedAt: row.started_at,
    endedAt: row.ended_at,
    bytes: row.bytes,
    status: row.status as StoredRecording['status'],
    endReason: row.end_reason,
    resume: row.resume === null ? null : (JSON.parse(row.resume) as StoredRecording['resume']),
    mediaMs: row.media_ms,
  };
}

// Auth and keepalive rows are mapped here rather than in rows.ts, which other features own.
function userFromRow(row: Selectable<UsersTable>): StoredUser {
  return {
    name: row.name,
    permissions: JSON.parse(row.permissions) as Permission[],
    allowedIps: JSON.parse(row.allowed_ips) as string[],
    createdAt: row.created_at,
  };
}

function tokenFromRow(row: Selectable<TokensTable>): StoredToken {
  return {
    id: row.id,
    userName: row.user_name,
    name: row.name,
    hash: row.hash,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}

function keepaliveFromRow(row: Selectable<KeepalivesTable>): StoredKeepalive {
  return {
    id: row.id,
    channelId: row.channel_id,
    creatorUser: row.creator_user,
    creatorIp: row.creator_ip,
    record: row.record === 1,
    mode: row.mode === 'full' ? 'full' : 'playlist',
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}

async function upsertState(
  tx: Transaction<Database>,
  channelId: string,
  state: ChannelState,
): Promise<void> {
  const row = stateToRow(channelId, state);
  const { channel_id: _id, ...update } = row;
  await tx
    .insertInto('channel_state')
    .values(row)
    .onConflict((oc) => oc.column('channel_id').doUpdateSet(update))
    .execute();
}

/** Deliveries joined with their events. */
function withEvent(db: Kysely<Database>) {
  return db
    .selectFrom('deliveries as d')
    .innerJoin('events as e', 'e.id', 'd.event_id')
    .selectAll('d')
    .select([
      'e.id as e_id',
      'e.channel_id as e_channel_id',
      'e.kind as e_kind',
      'e.title as e_title',
      'e.tags as e_tags',
      'e.started_at as e_started_at',
      'e.at as e_at',
      'e.suppressed as e_suppressed',
      'e.channel as e_channel',
    ]);
}

/** Pending deliveries due at `now` with their events; per (channel, target) only the oldest. */
function dueQuery(db: Kysely<Database>, now: Instant, limit: number) {
  return (
    withEvent(db)
      .where('d.status', '=', 'pending')
      .where('d.next_attempt_at', '<=', now)
      // Per (channel, target), only the oldest pending delivery: a `title` never overtakes its `live`.
      // A correlated min() over the (target, channel, status, seq) index, not NOT EXISTS: on a table
      // not yet analysed PostgreSQL planned that as a quadratic anti-join (seconds at 5,000 rows).
      .where((eb) =>
        eb(
          'd.seq',
          '=',
          eb
            .selectFrom('deliveries as p')
            .select((e) => e.fn.min('p.seq').as('first'))
            .whereRef('p.target_id', '=', 'd.target_id')
            .whereRef('p.channel_id', '=', 'd.channel_id')
            .where('p.status', '=', 'pending'),
        ),
      )
      .orderBy('d.next_attempt_at')
      .orderBy('d.seq')
      .limit(limit)
  );
}

type DueRow = Awaited<ReturnType<ReturnType<typeof withEvent>['execute']>>[number];

function dueFromRow(row: DueRow): DueDelivery {
  return {
    delivery: deliveryFromRow(row),
    event: eventFromRow({
      id: row.e_id,
      channel_id: row.e_channel_id,
      kind: row.e_kind,
      title: row.e_title,
      tags: row.e_tags,
      started_at: row.e_started_at,
      at: row.e_at,
      suppressed: row.e_suppressed,
      channel: row.e_channel,
    }),
  };
}

/** `touch` for PostgreSQL: upsert the JSON rows whose channel still exists, newest check wins. */
function touchPostgres(rows: string) {
  return sql`INSERT INTO channel_state (channel_id, liveness, title, tags, viewers, thumbnail, platform_name, live_since, offline_since, last_notified_at, live_announced, offline_announced, title_revision, last_checked_at, consecutive_failures, last_error)
    SELECT j.channel_id, j.liveness, j.title, j.tags, j.viewers, j.thumbnail, j.platform_name, j.live_since, j.offline_since, j.last_notified_at, j.live_announced, j.offline_announced, j.title_revision, j.last_checked_at, j.consecutive_failures, j.last_error
    FROM jsonb_to_recordset(${rows}::jsonb) AS j(channel_id text, liveness text, title text, tags text, viewers bigint, thumbnail text, platform_name text, live_since bigint, offline_since bigint, last_notified_at bigint, live_announced integer, offline_announced integer, title_revision integer, last_checked_at bigint, consecutive_failures integer, last_error text)
    WHERE EXISTS (SELECT 1 FROM channels c WHERE c.id = j.channel_id)
    ON CONFLICT (channel_id) DO UPDATE SET
      liveness = excluded.liveness,
      title = excluded.title,
      tags = excluded.tags,
      viewers = excluded.viewers,
      thumbnail = excluded.thumbnail,
      platform_name = excluded.platform_name,
      live_since = excluded.live_since,
      offline_since = excluded.offline_since,
      last_notified_at = excluded.last_notified_at,
      live_announced = excluded.live_announced,
      offline_announced = excluded.offline_announced,
      title_revision = excluded.title_revision,
      last_checked_at = excluded.last_checked_at,
      consecutive_failures = excluded.consecutive_failures,
      last_error = excluded.last_error
    WHERE coalesce(channel_state.last_checked_at, 0) <= coalesce(excluded.last_checked_at, 0)`;
}
