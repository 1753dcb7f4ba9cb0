import { alternativePath, recordingPath } from '../../core/recording/naming.js';
import type { Instant } from '../../core/time.js';
import type { Clock } from '../../ports/clock.js';
import type { Logger } from '../../ports/logger.js';
import type { RecordingStore, StoredRecording } from '../../ports/store.js';
import type { RecordingFiles, PartFile, Remuxer, WriteResult } from './ports.js';

/** Media that could not be recorded, as the sidecar lists it. */
export interface Gap {
  /** When onair noticed it, from the part's start. */
  readonly offsetMs: number;
  readonly reason: 'missed' | 'gapTag' | 'failed' | 'reconnect';
  readonly fromMsn?: number;
  readonly toMsn?: number;
  readonly error?: string;
}

export interface TitleChange {
  readonly at: string;
  readonly offsetMs: number;
  readonly title: string | null;
}

/** The `.json` next to each part. */
export interface Sidecar {
  readonly version: 1;
  readonly id: string;
  readonly channel: string;
  readonly platform: string;
  readonly session: string;
  readonly part: number;
  readonly file: string;
  readonly container: StoredRecording['container'];
  readonly startedAt: string;
  readonly endedAt: string | null;
  readonly status: StoredRecording['status'];
  readonly endReason: string | null;
  readonly bytes: number;
  /** Media segments written (HLS). */
  readonly segments: number;
  /** Seconds of media (HLS: the segments' `#EXTINF`s; FLV: the span of tag timestamps), not wall-clock time. */
  readonly mediaSeconds: number;
  readonly titles: readonly TitleChange[];
  readonly gaps: readonly Gap[];
  /** The session's parts so far, this one included. */
  readonly parts: readonly { readonly id: string; readonly file: string }[];
  readonly codecs?: { readonly video: string | null; readonly audio: string | null };
  readonly remux?: {
    readonly ok: boolean;
    readonly error?: string;
    readonly from?: string;
    readonly thumbnail?: string;
  };
}

export type OpenResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: 'diskFull' | 'io'; readonly error: string };

export interface SessionWriterOptions {
  readonly store: RecordingStore;
  readonly files: RecordingFiles;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly remuxer: Remuxer | null;
  readonly channel: { readonly id: string; readonly platform: string };
  readonly session: string;
  readonly template: string;
  readonly minFreeBytes: number;
  /** The channel's title now. */
  readonly title: () => string | null;
  /** Told when a part is finished (and remuxed, if asked): retention runs then. */
  readonly onPartFinished: (recording: StoredRecording) => void;
}

interface OpenPart {
  recording: StoredRecording;
  readonly file: PartFile;
  sidecar: Sidecar;
  /** Media bytes after the part's opening bytes (init segment, FLV header). */
  mediaBytes: number;
  /** Media duration so far, in ms. */
  mediaMs: number;
  lastFlushAt: Instant;
}

/** Where a part's sidecar and thumbnail live: next to it, same stem. */
export function sidecarPath(path: string): string {
  return `${stem(path)}.json`;
}

export function thumbnailPath(path: string): string {
  return `${stem(path)}.jpg`;
}

function stem(path: string): string {
  const dot = path.lastIndexOf('.');
  return dot > path.lastIndexOf('/') + 1 ? path.slice(0, dot) : path;
}

const iso = (at: Instant) => new Date(at).toISOString();

/**
 * Writes the parts of one live session: creates each part (a new file, never an existing one,
 * and a row), appends bytes, keeps the row's size and resume point and the sidecar current,
 * and finishes a part (row, sidecar, optional remux to MP4). Parts of a session are numbered on
 * from the highest already stored, so a restart continues the session in a new part.
 */
export class SessionWriter {
  private readonly o: SessionWriterOptions;
  private part: OpenPart | null = null;
  private nextPart: number | null = null;
  /** Gaps noticed while no part was open belong to the next one. */
  private pendingGaps: Gap[] = [];
  private readonly parts: { id: string; file: string }[] = [];
  private readonly finishing = new Set<Promise<void>>();
  private lastResume: StoredRecording['resume'] = null;

  constructor(options: SessionWriterOptions) {
    this.o = options;
  }

  get isOpen(): boolean {
    return this.part !== null;
  }

  /** Media bytes written to the open part (0 when none is open). */
  get mediaBytes(): number {
    return this.part?.mediaBytes ?? 0;
  }

  /** Where the last written HLS segment left the session (carried into the next part and run). */
  get resume(): StoredRecording['resume'] {
    return this.lastResume;
  }

  /** Opens a new part starting with `opening` (FLV header and configurations, an fMP4 init segment, or nothing). */
  async open(
    container: StoredRecording['container'],
    opening: Uint8Array | null,
    codecs?: Sidecar['codecs'],
  ): Promise<OpenResult> {
    if (this.part) await this.close('split');
    const free = await this.o.files.freeBytes();
    if (free !== null && free < this.o.minFreeBytes)
      return {
        ok: false,
        reason: 'diskFull',
        error: `only ${free} bytes free, below recordings.minFreeSpace`,
      };
    if (this.nextPart === null) {
      const existing = await this.o.store.listRecordings({ session: this.o.session });
      this.nextPart = existing.reduce((n, r) => Math.max(n, r.part), 0) + 1;
      this.parts.push(...existing.map((r) => ({ id: r.id, file: r.path })));
    }
    const now = this.o.clock.now();
    for (;;) {
      const part = this.nextPart++;
      const id = `${this.o.session}.${part}`;
      const base = recordingPath(
        this.o.template,
        {
          channel: this.o.channel.id,
          platform: this.o.channel.platform,
          title: this.o.title(),
          startedAt: now,
          session: this.o.session,
          part,
        },
        container,
      );
      const created = await this.createFile(base);
      if (!created.ok) return created;
      const recording: StoredRecording = {
        id,
        channelId: this.o.channel.id,
        session: this.o.session,
        part,
        path: created.path,
        container,
        startedAt: now,
        endedAt: null,
        bytes: 0,
        status: 'recording',
        endReason: null,
        resume: null,
        mediaMs: 0,
      };
      if (!(await this.o.store.insertRecording(recording))) {
        // Another process took this part number meanwhile: give the file back and take the next.
        await created.file.close();
        await this.o.files.remove(created.path);
        continue;
      }
      this.parts.push({ id, file: created.path });
      const title = this.o.title();
      this.part = {
        recording,
        file: created.file,
        mediaBytes: 0,
        mediaMs: 0,
        lastFlushAt: now,
        sidecar: {
          version: 1,
          id,
          channel: this.o.channel.id,
          platform: this.o.channel.platform,
          session: this.o.session,
          part,
          file: created.path,
          container,
          startedAt: iso(now),
          endedAt: null,
          status: 'recording',
          endReason: null,
          bytes: 0,
          segments: 0,
          mediaSeconds: 0,
          titles: [{ at: iso(now), offsetMs: 0, title }],
          gaps: this.pendingGaps.map((g) => ({ ...g, offsetMs: 0 })),
          parts: [...this.parts],
          ...(codecs ? { codecs } : {}),
        },
      };
      this.pendingGaps = [];
      this.o.logger.info(
        { channel: this.o.channel.id, recording: id, file: created.path },
        'recording part started',
      );
      if (opening !== null && opening.length > 0) {
        const written = await this.writeRaw(opening);
        if (!written.ok) {
          await this.close(written.reason, 'failed');
          return written;
        }
      }
      await this.writeSidecar();
      return { ok: true };
    }
  }

  /** Appends media bytes to the open part. */
  async write(bytes: Uint8Array): Promise<WriteResult> {
    const result = await this.writeRaw(bytes);
    if (result.ok && this.part) {
      this.part.mediaBytes += bytes.length;
      // FLV writes many small tags: the row's size is kept current every few seconds, not per write.
      if (this.o.clock.now() - this.part.lastFlushAt >= 5_000) await this.flush();
    }
    return result;
  }

  /** An HLS segment was written completely: remember where to resume and keep the row current. */
  async segmentWritten(
    resume: NonNullable<StoredRecording['resume']>,
    durationS: number,
  ): Promise<void> {
    this.lastResume = resume;
    const part = this.part;
    if (!part) return;
    part.mediaMs += durationS * 1_000;
    part.sidecar = {
      ...part.sidecar,
      segments: part.sidecar.segments + 1,
      mediaSeconds: part.mediaMs / 1_000,
    };
    part.recording = { ...part.recording, resume };
    await this.flush();
  }

  /** FLV: the open part's media reached `atMs` (a tag's timestamp from the part's start). */
  mediaReached(atMs: number): void {
    const part = this.part;
    if (!part || atMs <= part.mediaMs) return;
    part.mediaMs = atMs;
    part.sidecar = { ...part.sidecar, mediaSeconds: atMs / 1_000 };
  }

  noteGap(gap: Omit<Gap, 'offsetMs'>): void {
    const part = this.part;
    if (!part) {
      this.pendingGaps.push({ ...gap, offsetMs: 0 });
      return;
    }
    part.sidecar = {
      ...part.sidecar,
      gaps: [
        ...part.sidecar.gaps,
        { ...gap, offsetMs: this.o.clock.now() - part.recording.startedAt },
      ],
    };
    this.o.logger.warn(
      { channel: this.o.channel.id, recording: part.recording.id, ...gap },
      'recording gap',
    );
    void this.writeSidecar();
  }

  noteTitle(title: string | null): void {
    const part = this.part;
    if (!part || part.sidecar.titles.at(-1)?.title === title) return;
    const now = this.o.clock.now();
    part.sidecar = {
      ...part.sidecar,
      titles: [
        ...part.sidecar.titles,
        { at: iso(now), offsetMs: now - part.recording.startedAt, title },
      ],
    };
    void this.writeSidecar();
  }

  /** Finishes the open part: closes the file, writes the row and sidecar, then remuxes in the background. */
  async close(reason: string, status: StoredRecording['status'] = 'done'): Promise<void> {
    const part = this.part;
    if (!part) return;
    this.part = null;
    await part.file.close();
    const now = this.o.clock.now();
    const bytes = (await this.o.files.stat(part.recording.path))?.bytes ?? part.recording.bytes;
    if (part.mediaBytes === 0 && status === 'done') {
      // Nothing but the opening bytes: not worth a file.
      await this.o.files.remove(part.recording.path);
      await this.o.files.remove(sidecarPath(part.recording.path));
      await this.o.store.deleteRecording(part.recording.id);
      this.parts.splice(
        this.parts.findIndex((p) => p.id === part.recording.id),
        1,
      );
      return;
    }
    const recording: StoredRecording = {
      ...part.recording,
      endedAt: now,
      bytes,
      status,
      endReason: reason,
      mediaMs: Math.round(part.mediaMs),
    };
    const mediaMs = Math.round(part.mediaMs);
    await this.o.store.updateRecording(recording.id, {
      endedAt: now,
      bytes,
      status,
      endReason: reason,
      resume: recording.resume,
      mediaMs,
    });
    const sidecar: Sidecar = {
      ...part.sidecar,
      endedAt: iso(now),
      status,
      endReason: reason,
      bytes,
      mediaSeconds: part.mediaMs / 1_000,
      parts: [...this.parts],
    };
    await this.o.files.writeText(sidecarPath(recording.path), JSON.stringify(sidecar, null, 2));
    this.o.logger.info(
      { channel: this.o.channel.id, recording: recording.id, reason, bytes, status },
      'recording part finished',
    );
    const finishing = this.finish(recording, sidecar).finally(() =>
      this.finishing.delete(finishing),
    );
    this.finishing.add(finishing);
  }

  /** Waits for background remuxes. */
  async settled(): Promise<void> {
    while (this.finishing.size > 0) await Promise.all([...this.finishing]);
  }

  private async finish(recording: StoredRecording, sidecar: Sidecar): Promise<void> {
    let final = recording;
    if (this.o.remuxer && recording.container !== 'mp4' && recording.status === 'done') {
      final = await this.remux(recording, sidecar, this.o.remuxer);
    }
    this.o.onPartFinished(final);
  }

  /** MP4 with faststart next to the original, then a thumbnail; the original goes only once the MP4 exists. */
  private async remux(
    recording: StoredRecording,
    sidecar: Sidecar,
    remuxer: Remuxer,
  ): Promise<StoredRecording> {
    const mp4Path = await this.freePath(`${stem(recording.path)}.mp4`);
    const input = this.o.files.absolute(recording.path);
    const output = mp4Path === null ? null : this.o.files.absolute(mp4Path);
    if (input === null || output === null || mp4Path === null) return recording;
    const result = await remuxer.remux(input, output);
    if (!result.ok) {
      this.o.logger.warn(
        { channel: this.o.channel.id, recording: recording.id, error: result.error },
        'remux failed; the original stays',
      );
      await this.o.files.writeText(
        sidecarPath(recording.path),
        JSON.stringify({ ...sidecar, remux: { ok: false, error: result.error } }, null, 2),
      );
      return recording;
    }
    const thumb = thumbnailPath(recording.path);
    const thumbAbs = this.o.files.absolute(thumb);
    const thumbnail =
      thumbAbs === null
        ? { ok: false as const, error: 'no path' }
        : await remuxer.thumbnail(output, thumbAbs);
    const bytes = (await this.o.files.stat(mp4Path))?.bytes ?? recording.bytes;
    await this.o.store.updateRecording(recording.id, { path: mp4Path, container: 'mp4', bytes });
    await this.o.files.remove(recording.path);
    const remuxed: StoredRecording = { ...recording, path: mp4Path, container: 'mp4', bytes };
    const note: NonNullable<Sidecar['remux']> = {
      ok: true,
      from: recording.path,
      ...(thumbnail.ok ? { thumbnail: thumb } : {}),
    };
    // The session's list names the files that exist: this part is an MP4 now.
    const listed = this.parts.find((p) => p.id === recording.id);
    if (listed) listed.file = mp4Path;
    await this.o.files.writeText(
      sidecarPath(recording.path),
      JSON.stringify(
        {
          ...sidecar,
          file: mp4Path,
          container: 'mp4',
          bytes,
          parts: [...this.parts],
          remux: note,
        },
        null,
        2,
      ),
    );
    // A later part opened while this one was remuxed lists the old name: correct it too.
    const open = this.part;
    if (open) {
      open.sidecar = { ...open.sidecar, parts: [...this.parts] };
      await this.writeSidecar();
    }
    return remuxed;
  }

  private async freePath(path: string): Promise<string | null> {
    for (let attempt = 0; attempt < 100; attempt++) {
      const candidate = attempt === 0 ? path : alternativePath(path, attempt);
      if ((await this.o.files.stat(candidate)) === undefined) return candidate;
    }
    return null;
  }

  private async createFile(
    base: string,
  ): Promise<
    | { ok: true; file: PartFile; path: string }
    | { ok: false; reason: 'diskFull' | 'io'; error: string }
  > {
    for (let attempt = 0; attempt < 100; attempt++) {
      const path = attempt === 0 ? base : alternativePath(base, attempt);
      // A sidecar of that stem belongs to another part (say, one remuxed to MP4): not this name either.
      if ((await this.o.files.stat(sidecarPath(path))) !== undefined) continue;
      const created = await this.o.files.create(path);
      if (created.ok) return { ok: true, file: created.file, path };
      if (created.reason === 'exists') continue;
      return {
        ok: false,
        reason: created.reason === 'diskFull' ? 'diskFull' : 'io',
        error: created.error,
      };
    }
    return { ok: false, reason: 'io', error: `no free file name near ${base}` };
  }

  private async writeRaw(bytes: Uint8Array): Promise<WriteResult> {
    const part = this.part;
    if (!part) return { ok: false, reason: 'io', error: 'no part is open' };
    const result = await part.file.write(bytes);
    if (result.ok)
      part.recording = { ...part.recording, bytes: part.recording.bytes + bytes.length };
    return result;
  }

  private async flush(): Promise<void> {
    const part = this.part;
    if (!part) return;
    part.lastFlushAt = this.o.clock.now();
    await this.o.store.updateRecording(part.recording.id, {
      bytes: part.recording.bytes,
      resume: part.recording.resume,
      mediaMs: Math.round(part.mediaMs),
    });
  }

  private async writeSidecar(): Promise<void> {
    const part = this.part;
    if (!part) return;
    await this.o.files.writeText(
      sidecarPath(part.recording.path),
      JSON.stringify({ ...part.sidecar, bytes: part.recording.bytes }, null, 2),
    );
  }
}
