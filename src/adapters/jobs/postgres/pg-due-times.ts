import type pg from 'pg';
import type { DueAt, DueEntry, DueTimes } from '../../../ports/due-times.js';
import { NOW_MS } from './pg-schema.js';

/**
 * Due times of a cluster: the `due_times` table, on the database's clock. Any worker claims due
 * channels with `FOR UPDATE SKIP LOCKED` (two workers never take the same row, and neither waits
 * for the other); a claim moves the row's due time `claimMs` ahead, so a dead claimer's channels
 * fall due again by themselves. Rows of deleted channels go with them (foreign key cascade).
 */
export class PostgresDueTimes implements DueTimes {
  private readonly pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.pool = pool;
  }

  async schedule(entries: readonly DueAt[]): Promise<void> {
    await this.upsert(
      entries,
      'DO UPDATE SET due_at = excluded.due_at, platform = excluded.platform',
    );
  }

  async scheduleMissing(entries: readonly DueAt[]): Promise<void> {
    await this.upsert(entries, 'DO NOTHING');
  }

  async remove(channelIds: readonly string[]): Promise<void> {
    if (channelIds.length === 0) return;
    await this.pool.query('DELETE FROM due_times WHERE channel_id = ANY($1::text[])', [
      [...channelIds],
    ]);
  }

  async claimDue(limit: number, claimMs: number): Promise<DueEntry[]> {
    const { rows } = await this.pool.query<{ channel_id: string; platform: string }>(
      `WITH due AS (
         SELECT channel_id FROM due_times WHERE due_at <= ${NOW_MS}
         ORDER BY due_at LIMIT $1 FOR UPDATE SKIP LOCKED
       )
       UPDATE due_times d SET due_at = ${NOW_MS} + $2::bigint
       FROM due WHERE d.channel_id = due.channel_id
       RETURNING d.channel_id, d.platform`,
      [limit, Math.round(claimMs)],
    );
    return rows.map((r) => ({ channelId: r.channel_id, platform: r.platform }));
  }

  async claimSoon(
    platform: string,
    withinMs: number,
    limit: number,
    claimMs: number,
  ): Promise<string[]> {
    const { rows } = await this.pool.query<{ channel_id: string }>(
      `WITH soon AS (
         SELECT channel_id FROM due_times
         WHERE platform = $1 AND due_at <= ${NOW_MS} + $2::bigint
         ORDER BY due_at LIMIT $3 FOR UPDATE SKIP LOCKED
       )
       UPDATE due_times d SET due_at = ${NOW_MS} + $4::bigint
       FROM soon WHERE d.channel_id = soon.channel_id
       RETURNING d.channel_id`,
      [platform, Math.round(withinMs), limit, Math.round(claimMs)],
    );
    return rows.map((r) => r.channel_id);
  }

  async nextDueInMs(): Promise<number | null> {
    const { rows } = await this.pool.query<{ wait: number | null }>(
      `SELECT (min(due_at) - ${NOW_MS})::float8 AS wait FROM due_times`,
    );
    const wait = rows[0]?.wait ?? null;
    return wait === null ? null : Math.max(0, wait);
  }

  /** One statement for many rows; ordered by id, so concurrent upserts lock rows in one order. */
  private async upsert(entries: readonly DueAt[], onConflict: string): Promise<void> {
    if (entries.length === 0) return;
    // One row may be changed once per statement: the last entry of a channel wins.
    const latest = new Map(entries.map((e) => [e.channelId, e]));
    const sorted = [...latest.values()].sort((a, b) =>
      a.channelId < b.channelId ? -1 : a.channelId > b.channelId ? 1 : 0,
    );
    // Joined with channels: a channel deleted meanwhile is skipped instead of failing the batch.
    await this.pool.query(
      `INSERT INTO due_times (channel_id, platform, due_at)
       SELECT u.id, u.platform, ${NOW_MS} + u.delay
       FROM unnest($1::text[], $2::text[], $3::bigint[]) WITH ORDINALITY AS u(id, platform, delay, n)
       JOIN channels c ON c.id = u.id
       ORDER BY u.n
       ON CONFLICT (channel_id) ${onConflict}`,
      [
        sorted.map((e) => e.channelId),
        sorted.map((e) => e.platform),
        sorted.map((e) => Math.round(e.delayMs)),
      ],
    );
  }
}
