import { z } from 'zod';
import type { Channel, ChannelState } from '../../core/model.js';
import { partsToDelete, type RetentionPolicy } from '../../core/recording/retention.js';
import type { TrackState } from '../../core/recording/tracker.js';
import type { Instant } from '../../core/time.js';
import type { Cancel, Clock, Timers } from '../../ports/clock.js';
import type { EventBus } from '../../ports/event-bus.js';
import type { Lease, Leases } from '../../ports/jobs.js';
import type { Logger } from '../../ports/logger.js';
import type { KeepaliveStore, RecordingStore, StoredRecording } from '../../ports/store.js';
import type { Principal } from '../auth.js';
import { AppError } from '../errors.js';
import { allows } from '../permissions.js';
import type { Upstream } from '../playback/ports.js';
import type { Readers } from '../readers.js';
import type { Refresher } from '../refresher.js';
import { recordFlv } from './flv-recorder.js';
import { pickSource, recordHls } from './hls-recorder.js';
import type { RecordingFiles, Remuxer } from './ports.js';
import type { RecorderContext, RunEnd } from './run.js';
import { SessionWriter, sidecarPath, type Sidecar } from './session-writer.js';
import { channelUpstream } from '../playback/channel-upstream.js';

/** `recordings:` of the config, resolved (README, "Recording"). */
export interface RecordingSettings {
  readonly minFreeBytes: number;
  readonly keep: RetentionPolicy;
  readonly remux: boolean;
  /** Defaults for channels that say `record: true`. */
  readonly template: string;
  readonly quality: string;
  /** HLS: a stall is never shorter than this many target durations. */
  readonly stallTargets: number;
  /** `recordings.stallAfter`: nothing new for this long (after a re-resolve) ends a part (FLV: no byte). */
  readonly stallMs: number;
  readonly segmentRetries: number;
  /** Wait before a run that ended while the session is still on starts again (a new part). */
  readonly retryMs: number;
  /** How often retention runs (it also runs after every finished part). */
  readonly retentionEveryMs: number;
}

export interface RecordingsOptions {
  readonly store: RecordingStore;
  readonly keepalives: Pick<KeepaliveStore, 'listKeepalives'>;
  /** The sentinel's channels and states (in memory). */
  readonly channel: (id: string) => Channel | undefined;
  readonly channelIds: () => string[];
  readonly channelState: (id: string) => ChannelState;
  readonly bus: EventBus;
  readonly readers: Pick<Readers, 'acquire' | 'release'>;
  readonly refresher: Pick<Refresher, 'current' | 'refreshAfterRefusal'>;
  readonly upstream: Upstream;
  readonly files: RecordingFiles;
  readonly remuxer: Remuxer | null;
  /** One recorder per channel across processes (in-process leases when embedded). */
  readonly leases: Pick<Leases, 'tryAcquire'>;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly logger: Logger;
  readonly settings: RecordingSettings;
  /** Where manual starts and stops are kept, so they survive a restart (the store's settings). */
  readonly manualStore: {
    getSetting(key: string): Promise<string | undefined>;
    setSetting(key: string, value: string): Promise<void>;
  };
}

/** The settings key of the manual starts and stops. */
const MANUAL_KEY = 'recorder.manual';

/** The persisted manual wishes: channel → the session a manual start or stop is for. */
const manualDocument = z.object({
  manual: z.record(z.string(), z.string()).default({}),
  stopped: z.record(z.string(), z.string()).default({}),
});

/** A channel's `record` option as stored in `Channel.options` (checked at input by `inputs.ts`). */
const recordOption = z.union([
  z.literal(true),
  z.object({ quality: z.string().optional(), template: z.string().optional() }),
]);

interface Wish {
  readonly quality: string;
  readonly template: string;
}

interface Session {
  readonly key: string;
  readonly writer: SessionWriter;
  resume: TrackState | null;
}

interface Run {
  readonly session: Session;
  readonly abort: AbortController;
  readonly done: Promise<RunEnd>;
  readonly lease: Lease;
}

const LEASE_MS = 30_000;

function compact(at: Instant): string {
  return new Date(at)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/**
 * The recorder supervisor. A channel is recorded while its live session is on (the decision
 * says live, or it dropped and the reconnect grace has not passed) and someone wants it: the
 * channel's `record` option, a keepalive with `record: true`, or a manual start through the
 * API. The session ends with the `offline` event (after the grace) or a manual stop. A run that
 * ends on its own (stream ended, stalled, origin restart) starts again after `retryMs` in a new
 * part of the same session while the session is on; a restart of onair does the same, and
 * manual starts and stops are kept in the store's settings, so they survive it too.
 */
export class Recordings {
  private readonly o: RecordingsOptions;
  private readonly runs = new Map<string, Run>();
  private readonly sessions = new Map<string, Session>();
  /** Channel → keepalive ids that asked for recording. */
  private readonly keepaliveWishes = new Map<string, Set<string>>();
  /** Channel → the session key a manual start is for. */
  private readonly manual = new Map<string, string>();
  /** Channel → the session a manual stop is for: not restarted until the next session. */
  private readonly stopped = new Map<string, string>();
  private readonly queues = new Map<string, Promise<void>>();
  private readonly retries = new Map<string, Cancel>();
  private unsubscribe: (() => void) | null = null;
  private retentionTimer: Cancel | null = null;
  private sweepTimer: Cancel | null = null;
  private closing = false;

  constructor(options: RecordingsOptions) {
    this.o = options;
  }

  /** Settles parts a crash left `recording`, then follows the bus and records what is wanted and live. */
  async start(): Promise<void> {
    await this.recoverInterrupted();
    await this.loadManual();
    for (const keepalive of await this.o.keepalives.listKeepalives()) {
      if (keepalive.record) this.addKeepalive(keepalive.channelId, keepalive.id);
    }
    this.unsubscribe = this.o.bus.subscribe((message) => {
      if (message.type === 'state') {
        this.sessions.get(message.channelId)?.writer.noteTitle(message.title);
        this.evaluate(message.channelId);
      } else if (message.type === 'event') {
        if (message.event.kind === 'title')
          this.sessions.get(message.event.channelId)?.writer.noteTitle(message.event.title);
        this.evaluate(message.event.channelId);
      } else if (message.type === 'keepalive' && message.keepalive.record) {
        if (message.change === 'added')
          this.addKeepalive(message.keepalive.channelId, message.keepalive.id);
        else this.keepaliveWishes.get(message.keepalive.channelId)?.delete(message.keepalive.id);
        this.evaluate(message.keepalive.channelId);
      }
    });
    for (const id of this.o.channelIds()) this.evaluate(id);
    this.scheduleRetention(0);
    this.scheduleSweep();
  }

  /**
   * A channel's `record` option can change through the API without a bus message, and a lost
   * lease or a full disk must be looked at again: re-decide the channels that could record.
   */
  private scheduleSweep(): void {
    this.sweepTimer = this.o.timers.after(30_000, () => {
      if (this.closing) return;
      for (const id of this.o.channelIds()) {
        const candidate =
          this.o.channel(id)?.options['record'] !== undefined ||
          this.keepaliveWishes.has(id) ||
          this.manual.has(id) ||
          this.runs.has(id);
        if (candidate) this.evaluate(id);
      }
      this.scheduleSweep();
    });
  }

  /** Manual starts and stops as they were before a restart (a bad document is ignored, logged). */
  private async loadManual(): Promise<void> {
    const text = await this.o.manualStore.getSetting(MANUAL_KEY);
    if (text === undefined) return;
    let parsed: z.ZodSafeParseResult<z.output<typeof manualDocument>>;
    try {
      parsed = manualDocument.safeParse(JSON.parse(text));
    } catch {
      parsed = manualDocument.safeParse(null);
    }
    if (!parsed.success) {
      this.o.logger.warn({ key: MANUAL_KEY }, 'unreadable manual recording wishes: ignored');
      return;
    }
    for (const [channel, session] of Object.entries(parsed.data.manual))
      this.manual.set(channel, session);
    for (const [channel, session] of Object.entries(parsed.data.stopped))
      this.stopped.set(channel, session);
  }

  private async saveManual(): Promise<void> {
    await this.o.manualStore.setSetting(
      MANUAL_KEY,
      JSON.stringify({
        manual: Object.fromEntries(this.manual),
        stopped: Object.fromEntries(this.stopped),
      }),
    );
  }

  /** Ends every run (parts finish as `shutdown`) and waits for remuxes. */
  async stop(): Promise<void> {
    this.closing = true;
    this.unsubscribe?.();
    this.retentionTimer?.();
    this.sweepTimer?.();
    for (const cancel of this.retries.values()) cancel();
    this.retries.clear();
    await Promise.all([...this.runs.keys()].map((id) => this.end(id, 'shutdown')));
    await Promise.all([...this.queues.values()]);
    for (const session of this.sessions.values()) await session.writer.settled();
  }

  /** A channel was deleted: its recording ends (its parts stay until retention or a user removes them). */
  async channelDeleted(channelId: string): Promise<void> {
    this.manual.delete(channelId);
    this.stopped.delete(channelId);
    this.keepaliveWishes.delete(channelId);
    await this.saveManual();
    await this.evaluateNow(channelId);
  }

  /** Whether a channel is being recorded now. */
  isRecording(channelId: string): boolean {
    return this.runs.has(channelId);
  }

  /** `POST /channels/:id/recording`: records now, until stopped or the session ends. */
  async startManual(channelId: string): Promise<{ channel: string; session: string }> {
    if (!this.o.channel(channelId)) throw new AppError('notFound', `no channel "${channelId}"`);
    const key = this.sessionOn(channelId)
      ? this.sessionKey(channelId)
      : `${channelId}-${compact(this.o.clock.now())}`;
    this.manual.set(channelId, key);
    this.stopped.delete(channelId);
    await this.saveManual();
    await this.evaluateNow(channelId);
    const run = this.runs.get(channelId);
    if (!run)
      throw new AppError(
        'conflict',
        `channel "${channelId}" cannot be recorded now (see the log: disk space, or another process records it)`,
      );
    return { channel: channelId, session: run.session.key };
  }

  /** `DELETE /channels/:id/recording`: stops, and stays stopped for the rest of this live session. */
  async stopManual(channelId: string): Promise<void> {
    if (!this.o.channel(channelId)) throw new AppError('notFound', `no channel "${channelId}"`);
    const run = this.runs.get(channelId);
    this.manual.delete(channelId);
    this.stopped.set(channelId, run?.session.key ?? this.sessionKey(channelId));
    await this.saveManual();
    await this.evaluateNow(channelId);
  }

  /** Parts of the channels the caller may read, optionally of one channel; oldest first. */
  async list(caller: Principal, channelId?: string): Promise<StoredRecording[]> {
    if (channelId !== undefined && !allows(caller.permissions, 'read', { channel: channelId }))
      throw new AppError('forbidden', `no read permission on channel "${channelId}"`);
    const all = await this.o.store.listRecordings(channelId === undefined ? {} : { channelId });
    return all.filter((r) => allows(caller.permissions, 'read', { channel: r.channelId }));
  }

  /** A part with its sidecar (null when the sidecar is missing or unreadable). */
  async get(
    caller: Principal,
    id: string,
  ): Promise<{ recording: StoredRecording; sidecar: Sidecar | null }> {
    const recording = await this.readable(caller, id, 'read');
    const text = await this.o.files.readText(sidecarPath(recording.path));
    let sidecar: Sidecar | null = null;
    try {
      sidecar = text === undefined ? null : (JSON.parse(text) as Sidecar);
    } catch {
      sidecar = null;
    }
    return { recording, sidecar };
  }

  /** Where a part's file is, for serving it. */
  async file(
    caller: Principal,
    id: string,
  ): Promise<{ recording: StoredRecording; absolute: string; bytes: number }> {
    const recording = await this.readable(caller, id, 'read');
    const absolute = this.o.files.absolute(recording.path);
    const stat = await this.o.files.stat(recording.path);
    if (absolute === null || stat === undefined)
      throw new AppError('notFound', `the file of recording "${id}" is gone`);
    return { recording, absolute, bytes: stat.bytes };
  }

  /** Deletes a finished part: file, sidecar, thumbnail and row. */
  async remove(caller: Principal, id: string): Promise<void> {
    const recording = await this.readable(caller, id, 'record');
    if (recording.status === 'recording')
      throw new AppError('conflict', `recording "${id}" is being written; stop it first`);
    await this.delete(recording);
  }

  private async readable(
    caller: Principal,
    id: string,
    action: 'read' | 'record',
  ): Promise<StoredRecording> {
    const recording = await this.o.store.getRecording(id);
    // Unknown and not permitted look the same, so ids of other channels' recordings cannot be probed.
    if (!recording || !allows(caller.permissions, 'read', { channel: recording.channelId }))
      throw new AppError('notFound', `no recording "${id}"`);
    if (
      action === 'record' &&
      !allows(caller.permissions, 'record', { channel: recording.channelId })
    ) {
      throw new AppError('forbidden', `no record permission on channel "${recording.channelId}"`);
    }
    return recording;
  }

  private async delete(recording: StoredRecording): Promise<void> {
    await this.o.files.remove(recording.path);
    await this.o.files.remove(sidecarPath(recording.path));
    await this.o.files.remove(`${sidecarPath(recording.path).slice(0, -'.json'.length)}.jpg`);
    await this.o.store.deleteRecording(recording.id);
  }

  private addKeepalive(channelId: string, id: string): void {
    let set = this.keepaliveWishes.get(channelId);
    if (!set) {
      set = new Set();
      this.keepaliveWishes.set(channelId, set);
    }
    set.add(id);
  }

  /** The live session is on: live, or dropped within the reconnect grace (the `offline` event not yet announced). */
  private sessionOn(channelId: string): boolean {
    const state = this.o.channelState(channelId);
    return (
      state.liveness === 'live' ||
      (state.liveness === 'offline' &&
        state.offlineSince !== null &&
        !state.offlineAnnounced &&
        state.liveSince !== null)
    );
  }

  private sessionKey(channelId: string): string {
    const state = this.o.channelState(channelId);
    return `${channelId}-${compact(state.liveSince ?? this.o.clock.now())}`;
  }

  /** The wish for a channel: its own `record` option, else the defaults when a keepalive or a manual start asks. */
  private wish(channel: Channel): { wish: Wish; session: string } | null {
    const id = channel.id;
    const manual = this.manual.get(id);
    // Most channels do not record: skip the parse, whose failure path builds an error every time
    // (this runs on every state change of every channel).
    const raw = channel.options['record'];
    const parsed = raw === undefined ? null : recordOption.safeParse(raw);
    const own = parsed?.success ? parsed.data : null;
    const wish: Wish = {
      quality: (own !== null && own !== true ? own.quality : undefined) ?? this.o.settings.quality,
      template:
        (own !== null && own !== true ? own.template : undefined) ?? this.o.settings.template,
    };
    if (manual !== undefined) return { wish, session: manual };
    const wanted = own !== null || (this.keepaliveWishes.get(id)?.size ?? 0) > 0;
    if (!wanted || !this.sessionOn(id)) return null;
    const session = this.sessionKey(id);
    return this.stopped.get(id) === session ? null : { wish, session };
  }

  /** Re-decides a channel; serialised per channel. */
  private evaluate(channelId: string): void {
    void this.evaluateNow(channelId);
  }

  private evaluateNow(channelId: string): Promise<void> {
    const previous = this.queues.get(channelId) ?? Promise.resolve();
    const next = previous
      .then(() => this.decide(channelId))
      .catch((err: unknown) => {
        this.o.logger.error({ channel: channelId, err }, 'recording decision failed');
      });
    this.queues.set(channelId, next);
    void next.then(() => {
      if (this.queues.get(channelId) === next) this.queues.delete(channelId);
    });
    return next;
  }

  private async decide(channelId: string): Promise<void> {
    if (this.closing) return;
    const channel = this.o.channel(channelId);
    const want = channel ? this.wish(channel) : null;
    const run = this.runs.get(channelId);
    if (run && (want === null || want.session !== run.session.key))
      await this.end(channelId, want === null ? this.endReason(channelId) : 'newSession');
    if (want === null || this.runs.has(channelId) || !channel) {
      if (want === null && !this.runs.has(channelId)) this.sessions.delete(channelId);
      return;
    }
    await this.begin(channel, want.wish, want.session);
  }

  private endReason(channelId: string): string {
    if (this.stopped.has(channelId)) return 'stopped';
    if (!this.o.channel(channelId)) return 'channelDeleted';
    return this.sessionOn(channelId) ? 'notWanted' : 'offline';
  }

  private async begin(channel: Channel, wish: Wish, key: string): Promise<void> {
    const free = await this.o.files.freeBytes();
    if (free !== null && free < this.o.settings.minFreeBytes) {
      this.o.logger.warn(
        { channel: channel.id, free, minFreeSpace: this.o.settings.minFreeBytes },
        'not recording: free disk space below recordings.minFreeSpace',
      );
      this.retryLater(channel.id, Math.max(this.o.settings.retryMs, 60_000));
      return;
    }
    const lease = await this.o.leases.tryAcquire(`record:${channel.id}`, LEASE_MS);
    if (!lease) {
      this.retryLater(channel.id, LEASE_MS);
      return;
    }
    // Holding the channel's lease with no run of our own, any part of it still `recording` was
    // left by a holder that died (a worker killed in a cluster): its lease expired, which is how
    // we got it. `recoverInterrupted` only runs at start, so without this a part handed over to
    // another worker would stay `recording` for good. Settle it like a crash before part N+1.
    try {
      for (const orphan of await this.o.store.listRecordings({
        channelId: channel.id,
        status: 'recording',
      }))
        await this.settleInterrupted(orphan);
    } catch (err) {
      // Not worth keeping the channel unrecorded for: the new part goes ahead.
      this.o.logger.error({ channel: channel.id, err }, 'could not settle an interrupted part');
    }
    let session = this.sessions.get(channel.id);
    if (session?.key !== key) {
      session = { key, writer: this.writer(channel, key, wish), resume: await this.resumeOf(key) };
      this.sessions.set(channel.id, session);
    }
    const abort = new AbortController();
    lease.signal.addEventListener(
      'abort',
      () => {
        abort.abort();
      },
      { once: true },
    );
    this.o.readers.acquire(channel.id, 'recorder', key);
    const ctx = this.context(channel.id, wish, session.writer, abort.signal);
    const current = session;
    const done = (async (): Promise<RunEnd> => {
      const first = await this.o.refresher.current(channel.id);
      const source = first.ok ? pickSource(first.streams.sources, wish.quality) : undefined;
      const flv = source !== undefined && isFlv(source.url);
      const end = flv ? await recordFlv(ctx) : await recordHls(ctx, current.resume);
      current.resume = current.writer.resume ?? current.resume;
      return end;
    })();
    const run: Run = { session, abort, done, lease };
    this.runs.set(channel.id, run);
    this.o.logger.info(
      { channel: channel.id, session: key, quality: wish.quality },
      'recording started',
    );
    void done.then(
      (end) => this.runEnded(channel.id, run, end),
      (err: unknown) => {
        this.o.logger.error({ channel: channel.id, err }, 'recorder failed unexpectedly');
        return this.runEnded(channel.id, run, 'failed');
      },
    );
  }

  private async runEnded(channelId: string, run: Run, end: RunEnd): Promise<void> {
    if (this.runs.get(channelId) !== run) return;
    this.runs.delete(channelId);
    await run.session.writer.close(
      run.abort.signal.aborted ? 'stopped' : end,
      end === 'failed' ? 'failed' : 'done',
    );
    this.o.readers.release(channelId, 'recorder', run.session.key);
    await run.lease.release();
    this.o.logger.info(
      { channel: channelId, session: run.session.key, end },
      'recording run ended',
    );
    if (this.closing || run.abort.signal.aborted) return;
    // A manual recording of a stream that ended is over; a wanted live session goes on in a new part.
    if ((end === 'ended' || end === 'stalled' || end === 'failed') && this.manual.delete(channelId))
      await this.saveManual();
    this.retryLater(
      channelId,
      end === 'diskFull' ? Math.max(this.o.settings.retryMs, 60_000) : this.o.settings.retryMs,
    );
  }

  private retryLater(channelId: string, ms: number): void {
    this.retries.get(channelId)?.();
    this.retries.set(
      channelId,
      this.o.timers.after(ms, () => {
        this.retries.delete(channelId);
        this.evaluate(channelId);
      }),
    );
  }

  /** Stops a channel's run and waits until its part is finished. */
  private async end(channelId: string, reason: string): Promise<void> {
    const run = this.runs.get(channelId);
    if (!run) return;
    this.runs.delete(channelId);
    run.abort.abort();
    await run.done.catch(() => 'failed' as const);
    await run.session.writer.close(reason);
    this.o.readers.release(channelId, 'recorder', run.session.key);
    await run.lease.release();
    this.o.logger.info(
      { channel: channelId, session: run.session.key, reason },
      'recording stopped',
    );
  }

  private writer(channel: Channel, session: string, wish: Wish): SessionWriter {
    return new SessionWriter({
      store: this.o.store,
      files: this.o.files,
      clock: this.o.clock,
      logger: this.o.logger,
      remuxer: this.o.settings.remux ? this.o.remuxer : null,
      channel: { id: channel.id, platform: channel.platform },
      session,
      template: wish.template,
      minFreeBytes: this.o.settings.minFreeBytes,
      title: () => this.o.channelState(channel.id).title,
      onPartFinished: () => {
        this.scheduleRetention(0);
      },
    });
  }

  private context(
    channelId: string,
    wish: Wish,
    writer: SessionWriter,
    signal: AbortSignal,
  ): RecorderContext {
    return {
      channelId,
      quality: wish.quality,
      upstream: channelUpstream(this.o.upstream, channelId, this.o.channel(channelId)?.url, () =>
        this.o.refresher.current(channelId),
      ),
      streams: {
        current: () => this.o.refresher.current(channelId),
        refused: (generation) => this.o.refresher.refreshAfterRefusal(channelId, generation),
      },
      writer,
      clock: this.o.clock,
      timers: this.o.timers,
      logger: this.o.logger,
      signal,
      stallTargets: this.o.settings.stallTargets,
      stallMs: this.o.settings.stallMs,
      segmentRetries: this.o.settings.segmentRetries,
    };
  }

  /** Where the session's last part stopped, so a new part neither repeats nor skips a segment. */
  private async resumeOf(session: string): Promise<TrackState | null> {
    const parts = await this.o.store.listRecordings({ session });
    return parts.reduce<TrackState | null>((r, p) => p.resume ?? r, null);
  }

  /** Parts left `recording` by a crash: the file is valid up to where it stopped; mark them done. */
  private async recoverInterrupted(): Promise<void> {
    for (const recording of await this.o.store.listRecordings({ status: 'recording' })) {
      // In a cluster another live worker may be writing this part now (it holds the channel's
      // lease): leave it. Parts of a dead holder are settled by whoever takes its lease (`begin`).
      // (Redis away: the same, whoever takes the lease later settles it.)
      const lease = await this.o.leases
        .tryAcquire(`record:${recording.channelId}`, LEASE_MS)
        .catch(() => null);
      if (!lease) continue;
      try {
        await this.settleInterrupted(recording);
      } finally {
        await lease.release();
      }
    }
  }

  /** Marks a part a crash left `recording` as done (or failed when its file is gone), row and sidecar. */
  private async settleInterrupted(recording: StoredRecording): Promise<void> {
    const stat = await this.o.files.stat(recording.path);
    const endedAt = stat?.modifiedAt ?? recording.startedAt;
    const bytes = stat?.bytes ?? 0;
    await this.o.store.updateRecording(recording.id, {
      status: stat ? 'done' : 'failed',
      endedAt,
      bytes,
      endReason: 'crash',
    });
    const text = await this.o.files.readText(sidecarPath(recording.path));
    if (text !== undefined) {
      try {
        const sidecar = JSON.parse(text) as Sidecar;
        const fixed: Sidecar = {
          ...sidecar,
          status: stat ? 'done' : 'failed',
          endReason: 'crash',
          endedAt: new Date(endedAt).toISOString(),
          bytes,
        };
        await this.o.files.writeText(sidecarPath(recording.path), JSON.stringify(fixed, null, 2));
      } catch {
        // An unreadable sidecar stays as it is; the row is what the API lists.
      }
    }
    this.o.logger.warn(
      { channel: recording.channelId, recording: recording.id, bytes },
      'recording part interrupted by a crash',
    );
  }

  private scheduleRetention(ms: number): void {
    if (this.closing) return;
    if (this.o.settings.keep.maxAgeMs === null && this.o.settings.keep.maxBytes === null) return;
    this.retentionTimer?.();
    this.retentionTimer = this.o.timers.after(ms, () => {
      this.retentionTimer = null;
      this.applyRetention()
        .catch((err: unknown) => {
          this.o.logger.error({ err }, 'retention failed');
        })
        .finally(() => {
          this.scheduleRetention(this.o.settings.retentionEveryMs);
        });
    });
  }

  /** Deletes finished parts beyond `recordings.keep` (by age, then oldest first by total size). */
  async applyRetention(): Promise<string[]> {
    const all = await this.o.store.listRecordings();
    const doomed = new Set(
      partsToDelete(
        all.map((r) => ({
          id: r.id,
          startedAt: r.startedAt,
          endedAt: r.endedAt,
          bytes: r.bytes,
          recording: r.status === 'recording',
        })),
        this.o.settings.keep,
        this.o.clock.now(),
      ),
    );
    for (const recording of all) {
      if (!doomed.has(recording.id)) continue;
      await this.delete(recording);
      this.o.logger.info(
        { channel: recording.channelId, recording: recording.id, bytes: recording.bytes },
        'recording deleted by retention',
      );
    }
    return [...doomed];
  }
}

/** FLV by its path (`…/live.flv`); everything else is taken for HLS. */
export function isFlv(url: string): boolean {
  try {
    return new URL(url).pathname.toLowerCase().endsWith('.flv');
  } catch {
    return false;
  }
}
