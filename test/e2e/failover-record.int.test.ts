import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithServices, missingServices } from '../contracts/store-services.js';
import { Cluster, waitFor, type OnairProcess } from './failover-cluster.js';
import { startFfmpeg, startNginx, stopNginx } from './hls-peers.js';

const peersInstalled = ['/usr/bin/ffmpeg', '/usr/sbin/nginx'].every((p) => existsSync(p));
const missing = await missingServices(['postgres']);

/** The recorder's lease time (`LEASE_MS` in `src/app/recorder/recordings.ts`) and its re-check of a lost lease. */
const RECORD_LEASE_MS = 30_000;

interface Part {
  id: string;
  session: string;
  part: number;
  status: string;
  bytes: number;
  file: string;
  endReason: string | null;
}

/** How long the lease `name` has left by the database's clock; -1 when nobody holds it. */
async function leaseLeftMs(cluster: Cluster, name: string): Promise<number> {
  const rows = await cluster.query<{ left: number }>(
    `SELECT (expires_at - (extract(epoch FROM clock_timestamp()) * 1000)::bigint)::float8 AS left
     FROM leases WHERE name = '${name}'`,
  );
  return rows[0]?.left ?? -1;
}

/**
 * One API and two worker processes on real PostgreSQL (nothing else), a few fake Owncast channels and
 * one `hls` channel with `record: true` on a live ffmpeg HLS stream behind nginx. One worker
 * records it (under the `record:cam` lease); it is killed with SIGKILL; once its lease has expired
 * the other worker continues the same session in part 2, and part 1 is settled as a crash.
 */
describeWithServices(
  'failover: a recording continues in a new part on another worker',
  peersInstalled ? missing : [...missing, 'ffmpeg or nginx not installed'],
  () => {
    const source = mkdtempSync(join(tmpdir(), 'onair-failover-source-'));
    let cluster: Cluster;
    let ffmpeg: ChildProcess | undefined;
    let nginxPid: string | undefined;

    beforeAll(async () => {
      ffmpeg = startFfmpeg(source);
      const nginx = await startNginx(source, source);
      nginxPid = nginx.pidFile;
      const playlist = `${nginx.origin}/plain/live/index.m3u8`;
      await waitFor(
        async () => (await fetch(playlist).catch(() => null))?.status === 200,
        20_000,
        () => 'nginx never served the live playlist',
      );
      cluster = await Cluster.create({
        channels: 8,
        mode: 'cluster',
        interval: '2s',
        tick: '1s',
        lease: '3s',
        recordings: { minFreeSpace: '1MB' },
        extraChannels: [{ id: 'cam', platform: 'hls', url: playlist, record: true }],
      });
      await cluster.spawn('api').ready;
      await Promise.all([cluster.spawn('worker').ready, cluster.spawn('worker').ready]);
    }, 60_000);

    afterAll(async () => {
      await (cluster as Cluster | undefined)?.stop();
      if (ffmpeg?.pid !== undefined && ffmpeg.exitCode === null && ffmpeg.signalCode === null) {
        const exited = new Promise<void>((resolve) =>
          ffmpeg!.once('exit', () => {
            resolve();
          }),
        );
        process.kill(ffmpeg.pid, 'SIGKILL');
        await exited;
      }
      if (nginxPid) stopNginx(nginxPid);
      rmSync(source, { recursive: true, force: true });
    }, 60_000);

    const parts = async (): Promise<Part[]> => {
      try {
        const res = await fetch(`${cluster.apiUrl}/api/v1/recordings?channel=cam`, {
          headers: { authorization: 'Bearer failover-admin-token' },
        });
        return res.ok ? ((await res.json()) as Part[]) : [];
      } catch {
        return [];
      }
    };
    const recordingOn = (p: OnairProcess): boolean =>
      p.lines.some((l) => l.includes('"recording started"') && l.includes('"channel":"cam"'));
    const fileSize = (part: Part): number =>
      statSync(join(cluster.dir, 'data', 'recordings', part.file)).size;

    it('the worker that records is killed; after its lease the other one records part 2 of the same session', async () => {
      await waitFor(
        async () => (await parts()).some((p) => p.part === 1 && p.bytes > 300_000),
        30_000,
        () => 'part 1 never grew',
      );
      const workers = cluster.processes.filter((p) => p.role === 'worker');
      const holders = workers.filter(recordingOn);
      expect(holders).toHaveLength(1);
      const victim = holders[0]!;
      const survivor = workers.find((w) => w !== victim)!;

      // Without a kill there is exactly one part, and the other worker records nothing.
      let before = await parts();
      expect(before.map((p) => [p.part, p.status])).toStrictEqual([[1, 'recording']]);
      expect(await leaseLeftMs(cluster, 'record:cam')).toBeGreaterThan(0);

      victim.child.kill('SIGKILL');
      const killedAt = Date.now();
      await new Promise<void>((resolve) => {
        if (victim.child.signalCode !== null) resolve();
        else
          victim.child.once('exit', () => {
            resolve();
          });
      });
      before = await parts();
      const session = before[0]!.session;
      const killedSize = fileSize(before[0]!);

      // The negative twin: while the dead worker's lease is still valid, nobody continues.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      expect(await leaseLeftMs(cluster, 'record:cam')).toBeGreaterThan(0);
      expect((await parts()).map((p) => p.part)).toStrictEqual([1]);
      expect(recordingOn(survivor)).toBe(false);

      // The lease expires within its time; the survivor's re-check (at most as long again) takes it.
      await waitFor(
        async () => (await parts()).some((p) => p.part === 2),
        2 * RECORD_LEASE_MS + 15_000,
        () =>
          `no part 2 ${Math.round((Date.now() - killedAt) / 1000)} s after the kill: ${JSON.stringify(before)}`,
      );
      const takeoverS = (Date.now() - killedAt) / 1000;
      expect(recordingOn(survivor)).toBe(true);

      const second = (await parts()).find((p) => p.part === 2)!;
      const grownFrom = fileSize(second);
      await waitFor(
        () => fileSize(second) > grownFrom + 200_000,
        15_000,
        () => `part 2 stays at ${fileSize(second)} bytes`,
      );

      const after = await parts();
      expect(after.map((p) => [p.session, p.part, p.status, p.endReason])).toStrictEqual([
        [session, 1, 'done', 'crash'],
        [session, 2, 'recording', null],
      ]);
      // Part 1 is as the kill left it: never reopened, never overwritten.
      expect(fileSize(after[0]!)).toBe(killedSize);
      expect(after[0]!.bytes).toBe(killedSize);
      expect(after[1]!.file).toMatch(/-part2\.ts$/);
      console.info(`recording taken over ${takeoverS.toFixed(1)} s after the kill`);
    }, 120_000);
  },
);
