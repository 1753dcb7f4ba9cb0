import type { Instant } from '../../core/time.js';

/** A failed write: the disk is full (stop cleanly, the file so far stays valid) or another I/O error. */
export type WriteResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: 'diskFull' | 'io'; readonly error: string };

/** A part file open for appending. */
export interface PartFile {
  write(bytes: Uint8Array): Promise<WriteResult>;
  close(): Promise<void>;
}

export type CreateResult =
  | { readonly ok: true; readonly file: PartFile }
  | {
      readonly ok: false;
      readonly reason: 'exists' | 'outside' | 'diskFull' | 'io';
      readonly error: string;
    };

/**
 * The recordings directory. Paths are relative and `/`-separated; the adapter refuses any that
 * would resolve outside the directory. Declared here, by its consumer; the file system adapter
 * lives in `adapters/recorder`.
 */
export interface RecordingFiles {
  /** Creates a new file (and its directories); never opens an existing one. */
  create(path: string): Promise<CreateResult>;
  /** Replaces a small text file atomically (write, then rename). */
  writeText(path: string, text: string): Promise<WriteResult>;
  readText(path: string): Promise<string | undefined>;
  stat(path: string): Promise<{ readonly bytes: number; readonly modifiedAt: Instant } | undefined>;
  /** Removes a file if it exists, then any directories it leaves empty. */
  remove(path: string): Promise<void>;
  /** Free bytes on the file system of the directory, if known. */
  freeBytes(): Promise<number | null>;
  /** The absolute path of a file inside the directory, or null for a path that would leave it. */
  absolute(path: string): string | null;
}

export type RemuxResult = { readonly ok: true } | { readonly ok: false; readonly error: string };

/** Turns a finished part into MP4 with faststart and takes a thumbnail (ffmpeg); absent when not installed. */
export interface Remuxer {
  /** `input` → `output` (absolute paths); `output` exists only on success. */
  remux(input: string, output: string): Promise<RemuxResult>;
  thumbnail(input: string, output: string): Promise<RemuxResult>;
}
