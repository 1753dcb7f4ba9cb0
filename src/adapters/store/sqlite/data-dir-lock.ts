import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

/** The lock file (an SQLite file held in exclusive locking mode) and the file naming its owner. */
export const LOCK_FILE = 'onair.lock';
export const PID_FILE = 'onair.pid';

/** This process owns the data folder until `release()` (or until it dies). */
export interface DataDirLock {
  readonly dir: string;
  release(): void;
}

export type LockOutcome =
  | { readonly ok: true; readonly lock: DataDirLock }
  /** Another live process holds it; `pid` is null when it has not written its pid yet. */
  | { readonly ok: false; readonly pid: number | null };

/** The refusal a second process prints: which folder, and which process owns it. */
export function dataDirInUse(dir: string, pid: number | null): string {
  const owner = pid === null ? 'its pid is not written yet' : `pid ${String(pid)}`;
  return `the data folder ${dir} is in use by another onair process (${owner}); stop that one first, or give this one another dataDir`;
}

/**
 * Takes the data folder for this process. The lock is an operating-system file lock (SQLite's, in
 * exclusive locking mode), not a pid check: the kernel drops it when its holder dies however it
 * dies, so a stale lock never blocks a restart and a reused pid never fakes an owner. The pid file
 * is only there to name the owner in the refusal.
 */
export function lockDataDir(dir: string): LockOutcome {
  mkdirSync(dir, { recursive: true });
  const db = new Database(join(dir, LOCK_FILE), { timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    // The first write takes the exclusive lock; exclusive locking mode keeps it until close.
    db.exec('CREATE TABLE IF NOT EXISTS owner (pid INTEGER NOT NULL)');
    db.exec('BEGIN EXCLUSIVE');
    db.prepare('DELETE FROM owner').run();
    db.prepare('INSERT INTO owner (pid) VALUES (?)').run(process.pid);
    db.exec('COMMIT');
  } catch (error) {
    db.close();
    if (isBusy(error)) return { ok: false, pid: readPid(dir) };
    throw error;
  }
  writeFileSync(join(dir, PID_FILE), `${String(process.pid)}\n`);
  let released = false;
  return {
    ok: true,
    lock: {
      dir,
      release() {
        if (released) return;
        released = true;
        rmSync(join(dir, PID_FILE), { force: true });
        db.close();
      },
    },
  };
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
}

function readPid(dir: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(join(dir, PID_FILE), 'utf8').trim(), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}
