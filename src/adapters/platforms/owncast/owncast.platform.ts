import type { Channel, Observation } from '../../../core/model.js';
import { trimTrailingSlashes } from '../../../core/text.js';
import type { PlatformAdapter, ProbeHint } from '../../../ports/platform.js';
import {
  failed,
  httpFailed,
  parseJson,
  statusFailed,
  validateHttpUrl,
  type PlatformHttp,
} from '../shared.js';
import { readHlsLiveness } from '../hls/hls-liveness.js';
import { systemClock } from '../../time/system-time.js';
import { DEFAULT_STALE_AFTER_MS, ProgressWatch, type StallSettings } from '../progress-watch.js';
import { configWire, statusWire } from './owncast.wire.js';

interface Details {
  readonly name: string | null;
  readonly tags: readonly string[];
}

/**
 * Owncast: `/api/status` every poll; live while `lastConnectTime` is set (PROTOCOLS.md §1.1 —
 * `online` lags the RTMP connect by several seconds) and its HLS playlist has not stalled. Name and tags come from `/api/config`,
 * fetched only when a channel goes live, since only then do they reach a notification.
 */
export class OwncastPlatform implements PlatformAdapter {
  readonly id = 'owncast';
  private readonly deps: PlatformHttp;
  private readonly details = new Map<string, Details>();
  private readonly watch: ProgressWatch;

  constructor(
    deps: PlatformHttp,
    stalls: StallSettings = { clock: systemClock, staleAfterMs: DEFAULT_STALE_AFTER_MS },
  ) {
    this.deps = deps;
    this.watch = new ProgressWatch(stalls);
  }

  validateUrl(url: string): string | null {
    return validateHttpUrl(url);
  }

  recognises(url: URL): boolean {
    return url.pathname === '/' || url.hostname.includes('owncast');
  }

  async probe(channel: Channel, hint: ProbeHint, signal: AbortSignal): Promise<Observation> {
    const base = trimTrailingSlashes(channel.url);
    const res = await this.get(`${base}/api/status`, signal);
    if (!res.ok) return httpFailed(res);
    if (res.status !== 200) return statusFailed(res, 'Owncast /api/status');
    const parsed = statusWire.safeParse(parseJson(res.body));
    if (!parsed.success) return failed('Owncast /api/status returned an unexpected body');
    const status = parsed.data;
    if (status.lastConnectTime == null) {
      this.details.delete(channel.id);
      this.watch.forget(channel.id);
      return { kind: 'offline' };
    }
    // The API can say online for a while after the encoder died: its HLS playlist tells. Only a
    // stall counts; a missing or unreadable playlist (not written yet) leaves the API's word.
    const hls = await readHlsLiveness(
      this.deps,
      this.watch,
      channel.id,
      `${base}/hls/stream.m3u8`,
      signal,
    );
    if (hls.kind === 'offline' && hls.reason === 'stalled') return hls;
    const startedAt = Date.parse(status.lastConnectTime);
    if (!hint.wasLive || !this.details.has(channel.id)) {
      this.details.set(channel.id, await this.fetchDetails(base, signal));
    }
    const details = this.details.get(channel.id);
    return {
      kind: 'live',
      title: status.streamTitle ?? null,
      startedAt: Number.isFinite(startedAt) ? startedAt : null,
      tags: details?.tags ?? [],
      viewers: status.viewerCount ?? null,
      thumbnail: `${base}/thumbnail.jpg`,
      name: details?.name ?? null,
    };
  }

  /** Best effort: a failing `/api/config` leaves name and tags unknown, not the probe failed. */
  private async fetchDetails(base: string, signal: AbortSignal): Promise<Details> {
    const res = await this.get(`${base}/api/config`, signal);
    if (!res.ok || res.status !== 200) return { name: null, tags: [] };
    const parsed = configWire.safeParse(parseJson(res.body));
    if (!parsed.success) return { name: null, tags: [] };
    return { name: parsed.data.name?.trim() || null, tags: parsed.data.tags ?? [] };
  }

  private get(url: string, signal: AbortSignal) {
    return this.deps.http.request(url, {
      timeoutMs: this.deps.timeoutMs,
      maxBytes: this.deps.maxBytes,
      maxRedirects: 3,
      headers: { accept: 'application/json' },
      signal,
    });
  }
}
