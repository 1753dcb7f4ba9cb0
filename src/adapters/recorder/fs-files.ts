import { constants } from 'node:fs';
import {
  mkdir,
  open,
  readFile,
  rename,
  rm,
  rmdir,
  stat,
  statfs,
  writeFile,
  type FileHandle,
} from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import type {
  CreateResult,
  PartFile,
  RecordingFiles,
  WriteResult,
} from '../../app/recorder/ports.js';

function failure(error: unknown): WriteResult & { ok: false } {
  const code = (error as { code?: string }).code;
  return {
    ok: false,
    reason: code === 'ENOSPC' || code === 'EDQUOT' ? 'diskFull' : 'io',
    error: code ?? (error instanceof Error ? error.message : 'unknown error'),
  };
}

/** One part file; writes go straight to the file (no user-space buffer), so a killed process leaves every byte written so far. */
class FsPartFile implements PartFile {
  private readonly handle: FileHandle;
  private closed = false;

  constructor(handle: FileHandle) {
    this.handle = handle;
  }

  async write(bytes: Uint8Array): Promise<WriteResult> {
    try {
      let at = 0;
      while (at < bytes.length) {
        const { bytesWritten } = await this.handle.write(bytes, at, bytes.length - at);
        at += bytesWritten;
      }
      return { ok: true };
    } catch (error) {
      return failure(error);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close();
  }
}

/** The recordings directory on the local file system. Every path is checked to stay inside it. */
export class FsRecordingFiles implements RecordingFiles {
  private readonly root: string;

  constructor(dir: string) {
    this.root = resolve(dir);
  }

  absolute(path: string): string | null {
    if (isAbsolute(path) || path.includes('\0')) return null;
    const full = resolve(this.root, path);
    const rel = relative(this.root, full);
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return null;
    return full;
  }

  async create(path: string): Promise<CreateResult> {
    const full = this.absolute(path);
    if (full === null)
      return { ok: false, reason: 'outside', error: 'path leaves the recordings directory' };
    try {
      await mkdir(dirname(full), { recursive: true });
      // O_EXCL: an existing file is never opened, let alone overwritten.
      const handle = await open(
        full,
        constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL,
        0o644,
      );
      return { ok: true, file: new FsPartFile(handle) };
    } catch (error) {
      if ((error as { code?: string }).code === 'EEXIST')
        return { ok: false, reason: 'exists', error: 'file exists' };
      return failure(error);
    }
  }

  async writeText(path: string, text: string): Promise<WriteResult> {
    const full = this.absolute(path);
    if (full === null)
      return { ok: false, reason: 'io', error: 'path leaves the recordings directory' };
    const temp = `${full}.tmp-${process.pid}`;
    try {
      await mkdir(dirname(full), { recursive: true });
      await writeFile(temp, text);
      await rename(temp, full);
      return { ok: true };
    } catch (error) {
      await rm(temp, { force: true });
      return failure(error);
    }
  }

  async readText(path: string): Promise<string | undefined> {
    const full = this.absolute(path);
    if (full === null) return undefined;
    try {
      return await readFile(full, 'utf8');
    } catch {
      return undefined;
    }
  }

  async stat(path: string): Promise<{ bytes: number; modifiedAt: number } | undefined> {
    const full = this.absolute(path);
    if (full === null) return undefined;
    try {
      const s = await stat(full);
      // Whole milliseconds: an Instant is an integer, and PostgreSQL's bigint refuses `mtimeMs`'s
      // fraction (settling a crashed part's `endedAt` failed on PostgreSQL).
      return s.isFile() ? { bytes: s.size, modifiedAt: Math.floor(s.mtimeMs) } : undefined;
    } catch {
      return undefined;
    }
  }

  async remove(path: string): Promise<void> {
    const full = this.absolute(path);
    if (full === null) return;
    await rm(full, { force: true });
    // Tidy directories the file leaves empty, up to (not including) the root.
    let dir = dirname(full);
    while (dir.startsWith(this.root + sep)) {
      try {
        await rmdir(dir);
      } catch {
        return;
      }
      dir = dirname(dir);
    }
  }

  async freeBytes(): Promise<number | null> {
    try {
      await mkdir(this.root, { recursive: true });
      const s = await statfs(this.root);
      return s.bavail * s.bsize;
    } catch {
      return null;
    }
  }
}
