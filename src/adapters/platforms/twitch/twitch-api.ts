import type { Clock } from '../../../ports/clock.js';
import type { HttpClient, HttpResponse } from '../../../ports/http-client.js';
import { parseJson } from '../shared.js';
import {
  channelsWire,
  scheduleWire,
  streamsWire,
  subscriptionCreatedWire,
  tokenWire,
  usersWire,
  type ScheduleWire,
  type StreamWire,
} from './twitch.wire.js';

/** The `twitch` config block, with defaults applied. */
export interface TwitchSettings {
  readonly clientId: string;
  readonly clientSecret: string;
  /** A user access token; only EventSub over WebSocket needs it (PROTOCOLS.md §2.5). */
  readonly userToken?: string | undefined;
  readonly apiBase: string;
  readonly authBase: string;
  readonly eventsubUrl: string;
}

export interface TwitchApiDeps {
  readonly http: HttpClient;
  readonly clock: Clock;
  readonly timeoutMs: number;
  readonly maxBytes: number;
  readonly settings: TwitchSettings;
}

/** An expected failure; `status` is the HTTP status when Twitch answered. Never carries a secret. */
export interface ApiFailure {
  readonly ok: false;
  readonly error: string;
  readonly retryable: boolean;
  readonly status?: number;
}
export type ApiResult<T> = { readonly ok: true; readonly value: T } | ApiFailure;

export interface ChannelInfo {
  readonly title: string | null;
  readonly category: string | null;
  readonly name: string | null;
  readonly tags: readonly string[];
}

export interface SubscriptionCreated {
  readonly totalCost: number | null;
  readonly maxTotalCost: number | null;
}

/** Helix filters take at most 100 values per request (§2.7). */
export const HELIX_BATCH = 100;
/** Refresh the app token this long before Twitch says it expires. */
const TOKEN_MARGIN_MS = 5 * 60_000;
/** When a 429 comes without a usable `Ratelimit-Reset`, wait this long (the bucket refills per minute). */
const DEFAULT_RATE_WAIT_MS = 60_000;

/**
 * Twitch OAuth (client credentials) and the Helix calls onair makes. Keeps one app token and
 * refreshes it before expiry (or at once on a 401); honours `Ratelimit-*` by refusing calls locally
 * until the bucket's reset time once it is empty or Twitch answered 429.
 */
export class TwitchApi {
  private readonly deps: TwitchApiDeps;
  private token: { value: string; refreshAt: number } | null = null;
  private pendingToken: Promise<ApiResult<string>> | null = null;
  private blockedUntil = 0;

  constructor(deps: TwitchApiDeps) {
    this.deps = deps;
  }

  get settings(): TwitchSettings {
    return this.deps.settings;
  }

  /** Live streams among `logins`, by lowercase login; an absent login is offline. */
  async streams(
    logins: readonly string[],
    signal?: AbortSignal,
  ): Promise<ApiResult<Map<string, StreamWire>>> {
    const found = new Map<string, StreamWire>();
    for (let i = 0; i < logins.length; i += HELIX_BATCH) {
      const chunk = logins.slice(i, i + HELIX_BATCH);
      const query = new URLSearchParams([
        ['first', String(HELIX_BATCH)],
        ...chunk.map((l): [string, string] => ['user_login', l]),
      ]);
      const res = await this.helix(`/streams?${query.toString()}`, streamsWire, signal);
      if (!res.ok) return res;
      for (const stream of res.value.data) {
        // `type` is "" when Helix had an error for that stream (§2.7); it is not evidence of live.
        if (stream.type === undefined || stream.type === 'live')
          found.set(stream.user_login.toLowerCase(), stream);
      }
    }
    return { ok: true, value: found };
  }

  /** User ids by lowercase login (Helix Get Users); unknown logins are absent. */
  async userIds(logins: readonly string[]): Promise<ApiResult<Map<string, string>>> {
    const ids = new Map<string, string>();
    for (let i = 0; i < logins.length; i += HELIX_BATCH) {
      const query = new URLSearchParams(
        logins.slice(i, i + HELIX_BATCH).map((l): [string, string] => ['login', l]),
      );
      const res = await this.helix(`/users?${query.toString()}`, usersWire);
      if (!res.ok) return res;
      for (const user of res.value.data) ids.set(user.login.toLowerCase(), user.id);
    }
    return { ok: true, value: ids };
  }

  /** Title and category of a channel, live or not (Helix Get Channel Information). */
  async channelInfo(broadcasterId: string): Promise<ApiResult<ChannelInfo>> {
    const res = await this.helix(
      `/channels?${new URLSearchParams({ broadcaster_id: broadcasterId }).toString()}`,
      channelsWire,
    );
    if (!res.ok) return res;
    const item = res.value.data[0];
    if (!item)
      return { ok: false, error: `Twitch has no channel ${broadcasterId}`, retryable: false };
    return {
      ok: true,
      value: {
        title: item.title ?? null,
        category: item.game_name || null,
        name: item.broadcaster_name ?? null,
        tags: item.tags ?? [],
      },
    };
  }

  /**
   * A channel's stream schedule from `startTime` on (Helix Get Channel Stream Schedule), up to
   * `maxPages` pages of 25 segments. A channel without a schedule (Helix answers 404) has none.
   */
  async schedule(
    broadcasterId: string,
    startTime: string,
    maxPages = 4,
  ): Promise<ApiResult<ScheduleWire['data'] | null>> {
    let first: ScheduleWire['data'] | null = null;
    const segments: NonNullable<ScheduleWire['data']['segments']> = [];
    let cursor: string | undefined;
    for (let page = 0; page < maxPages; page++) {
      const query = new URLSearchParams({
        broadcaster_id: broadcasterId,
        start_time: startTime,
        first: '25',
      });
      if (cursor !== undefined) query.set('after', cursor);
      const res = await this.helix(`/schedule?${query.toString()}`, scheduleWire);
      if (!res.ok) {
        if (res.status === 404) break;
        return res;
      }
      first ??= res.value.data;
      segments.push(...(res.value.data.segments ?? []));
      cursor = res.value.pagination?.cursor;
      if (cursor === undefined || cursor === '') break;
    }
    return { ok: true, value: first === null ? null : { ...first, segments } };
  }

  /** Creates a WebSocket EventSub subscription with the user token (§2.5). */
  async subscribe(
    type: string,
    version: string,
    broadcasterId: string,
    sessionId: string,
  ): Promise<ApiResult<SubscriptionCreated>> {
    const userToken = this.deps.settings.userToken;
    if (userToken === undefined)
      return { ok: false, error: 'twitch.userToken is not configured', retryable: false };
    const body = JSON.stringify({
      type,
      version,
      condition: { broadcaster_user_id: broadcasterId },
      transport: { method: 'websocket', session_id: sessionId },
    });
    const res = await this.send(`${this.deps.settings.apiBase}/eventsub/subscriptions`, userToken, {
      method: 'POST',
      body,
    });
    if (!res.ok) return res;
    if (res.value.status === 409)
      return { ok: true, value: { totalCost: null, maxTotalCost: null } };
    if (res.value.status !== 202) return statusFailure(res.value, 'EventSub subscription');
    const parsed = subscriptionCreatedWire.safeParse(parseJson(res.value.body));
    if (!parsed.success) return { ok: true, value: { totalCost: null, maxTotalCost: null } };
    return {
      ok: true,
      value: {
        totalCost: parsed.data.total_cost ?? null,
        maxTotalCost: parsed.data.max_total_cost ?? null,
      },
    };
  }

  private async helix<T>(
    path: string,
    schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } },
    signal?: AbortSignal,
  ): Promise<ApiResult<T>> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.appToken();
      if (!token.ok) return token;
      const res = await this.send(`${this.deps.settings.apiBase}${path}`, token.value, {
        method: 'GET',
        ...(signal ? { signal } : {}),
      });
      if (!res.ok) return res;
      if (res.value.status === 401 && attempt === 0) {
        // Revoked or expired early: one fresh token, then give up.
        this.token = null;
        continue;
      }
      if (res.value.status !== 200) return statusFailure(res.value, 'Twitch Helix');
      const parsed = schema.safeParse(parseJson(res.value.body));
      if (!parsed.success)
        return { ok: false, error: 'Twitch Helix returned an unexpected body', retryable: true };
      return { ok: true, value: parsed.data };
    }
  }

  private async send(
    url: string,
    token: string,
    init: { method: 'GET' | 'POST'; body?: string; signal?: AbortSignal },
  ): Promise<ApiResult<HttpResponse>> {
    const now = this.deps.clock.now();
    if (now < this.blockedUntil) {
      return {
        ok: false,
        error: `Twitch rate limit: waiting ${Math.ceil((this.blockedUntil - now) / 1000)}s for the bucket to refill`,
        retryable: true,
        status: 429,
      };
    }
    const res = await this.deps.http.request(url, {
      method: init.method,
      headers: {
        authorization: `Bearer ${token}`,
        'client-id': this.deps.settings.clientId,
        accept: 'application/json',
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(init.body === undefined ? {} : { body: init.body }),
      ...(init.signal ? { signal: init.signal } : {}),
      timeoutMs: this.deps.timeoutMs,
      maxBytes: this.deps.maxBytes,
    });
    if (!res.ok) return { ok: false, error: res.error, retryable: res.reason !== 'badUrl' };
    this.noteRateLimit(res);
    return { ok: true, value: res };
  }

  private noteRateLimit(res: HttpResponse): void {
    const remaining = Number(res.headers['ratelimit-remaining']);
    const reset = Number(res.headers['ratelimit-reset']) * 1000;
    const resetKnown = Number.isFinite(reset) && reset > 0;
    if (res.status === 429) {
      this.blockedUntil = resetKnown ? reset : this.deps.clock.now() + DEFAULT_RATE_WAIT_MS;
    } else if (remaining === 0 && resetKnown) {
      this.blockedUntil = reset;
    }
  }

  /** The app access token, fetched or refreshed when due; concurrent callers share one request. */
  private async appToken(): Promise<ApiResult<string>> {
    if (this.token && this.deps.clock.now() < this.token.refreshAt)
      return { ok: true, value: this.token.value };
    this.pendingToken ??= this.fetchToken().finally(() => {
      this.pendingToken = null;
    });
    return this.pendingToken;
  }

  private async fetchToken(): Promise<ApiResult<string>> {
    const { clientId, clientSecret, authBase } = this.deps.settings;
    const res = await this.deps.http.request(`${authBase}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({
        client_id: clientId,
        client_secret: clientSecret,
        grant_type: 'client_credentials',
      }).toString(),
      timeoutMs: this.deps.timeoutMs,
      maxBytes: 64 * 1024,
    });
    if (!res.ok)
      return { ok: false, error: `Twitch token request failed: ${res.error}`, retryable: true };
    if (res.status !== 200) {
      const retryable = res.status >= 500 || res.status === 429;
      const hint =
        res.status === 400 || res.status === 401 || res.status === 403
          ? ' (check twitch.clientId and twitch.clientSecret)'
          : '';
      return {
        ok: false,
        error: `Twitch token request answered HTTP ${res.status}${hint}`,
        retryable,
        status: res.status,
      };
    }
    const parsed = tokenWire.safeParse(parseJson(res.body));
    if (!parsed.success)
      return {
        ok: false,
        error: 'Twitch token endpoint returned an unexpected body',
        retryable: true,
      };
    const lifetimeMs = parsed.data.expires_in * 1000;
    // Refresh well before expiry, but never sooner than half-way through a short-lived token.
    this.token = {
      value: parsed.data.access_token,
      refreshAt: this.deps.clock.now() + Math.max(lifetimeMs / 2, lifetimeMs - TOKEN_MARGIN_MS),
    };
    return { ok: true, value: parsed.data.access_token };
  }
}

function statusFailure(res: HttpResponse, what: string): ApiFailure {
  const retryable = res.status >= 500 || res.status === 429 || res.status === 408;
  return { ok: false, error: `${what} answered HTTP ${res.status}`, retryable, status: res.status };
}
