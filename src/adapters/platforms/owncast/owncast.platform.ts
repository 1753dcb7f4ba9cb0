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
import { configWire, statusWire } from './owncast.wire.js';

interface Details {
  readonly name: string | null;
  readonly tags: readonly string[];
}

/**
 * Owncast: `/api/status` every poll; live while `lastConnectTime` is set (PROTOCOLS.md §1.1 —
 * `online` lags the RTMP connect by several seconds). Name and tags come from `/api/config`,
 * fetched only when a channel goes live, since only then do they reach a notification.
 */
export class OwncastPlatform implements PlatformAdapter {
  readonly id = 'owncast';
  private readonly deps: PlatformHttp;
  private readonly details = new Map<string, Details>();

  constructor(deps: PlatformHttp) {
    this.deps = deps;
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
      return { kind: 'offline' };
    }
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
