import { createHash } from 'node:crypto';
import type { z } from 'zod';
import {
  parsePrefixedCommand,
  type BotChat,
  type BotCommands,
} from '../../../app/bots/commands.js';
import { trimTrailingSlashes } from '../../../core/text.js';
import type { Timers } from '../../../ports/clock.js';
import type { HttpClient, HttpResponse } from '../../../ports/http-client.js';
import type { Logger } from '../../../ports/logger.js';
import type { Store } from '../../../ports/store.js';
import { parseJsonBody } from '../../notifiers/http-result.js';
import {
  errorAnswer,
  loginAnswer,
  powerLevels,
  syncAnswer,
  textContent,
  whoamiAnswer,
  type RoomEvent,
  type SyncAnswer,
} from './matrix-bot.wire.js';

/** `bots.matrix` of the config. */
export interface MatrixBotSettings {
  /** `https://matrix.example.org` (no trailing slash needed). */
  readonly homeserver: string;
  /** Either a token, or a user and password to log in with (and again when the token dies). */
  readonly accessToken?: string | undefined;
  readonly user?: string | undefined;
  readonly password?: string | undefined;
  /** The word commands start with (`!onair`). */
  readonly prefix: string;
  /** Room power level needed to subscribe and unsubscribe. */
  readonly minPowerLevel: number;
}

export interface MatrixBotDeps {
  readonly http: HttpClient;
  readonly store: Pick<Store, 'getSetting' | 'setSetting' | 'listTargets' | 'putTarget'>;
  readonly commands: BotCommands;
  readonly timers: Timers;
  readonly logger: Logger;
  readonly now: () => number;
  readonly settings: MatrixBotSettings;
  /** How long the homeserver may hold a `/sync` open. */
  readonly pollTimeoutMs: number;
  /** Pause after a failed round (doubling up to 16 times this). */
  readonly retryMs: number;
}

/** Settings keys: the sync position survives restarts, so no command runs twice. */
const SINCE_KEY = 'bot.matrix.since';
const TOKEN_KEY = 'bot.matrix.accessToken';

class MatrixHttpError extends Error {
  readonly status: number;
  readonly errcode: string;
  constructor(what: string, status: number, errcode: string) {
    super(`${what} answered HTTP ${status}${errcode === '' ? '' : ` ${errcode}`}`);
    this.status = status;
    this.errcode = errcode;
  }
}

/**
 * A Matrix bot over the client-server API: joins rooms it is invited to, reads `!onair …`
 * commands through `/sync` long polling and answers each with an `m.notice`. The sync token is
 * stored after each batch; a command seen again after a crash mid-batch is answered with the same
 * transaction id, which the homeserver deduplicates. Encrypted rooms are refused and left: the
 * bot cannot read them.
 */
export class MatrixBot {
  private readonly deps: MatrixBotDeps;
  private readonly base: string;
  private token: string | null = null;
  private userId: string | null = null;
  private signal: AbortSignal = new AbortController().signal;

  constructor(deps: MatrixBotDeps) {
    this.deps = deps;
    this.base = `${trimTrailingSlashes(deps.settings.homeserver)}/_matrix/client/v3`;
  }

  /** The target id of a room's subscriptions: derived from the room id, so it never changes. */
  static targetIdFor(roomId: string): string {
    return `matrix-${createHash('sha256').update(roomId).digest('hex').slice(0, 16)}`;
  }

  /**
   * Runs rounds until `signal` aborts (the in-flight request is cancelled); a failed round is
   * logged and retried after a pause. Never rejects.
   */
  async run(signal: AbortSignal): Promise<void> {
    this.signal = signal;
    let failures = 0;
    while (!signal.aborted) {
      try {
        await this.round();
        failures = 0;
      } catch (err) {
        failures++;
        this.deps.logger.warn(
          { err: err instanceof Error ? err.message : String(err), failures },
          'matrix bot: round failed',
        );
        await this.pause(this.retryDelay(err, failures));
      }
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const signal = this.signal;
      // Stopped while the failed request was unwinding: no pause.
      if (signal.aborted) {
        resolve();
        return;
      }
      const done = (): void => {
        cancel();
        signal.removeEventListener('abort', done);
        resolve();
      };
      const cancel = this.deps.timers.after(ms, done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  private retryDelay(err: unknown, failures: number): number {
    // A dead token: log in again (or fail loudly without a password) in the next round.
    if (err instanceof MatrixHttpError && err.status === 401) {
      this.token = null;
      this.userId = null;
    }
    return this.deps.retryMs * 2 ** Math.min(4, failures - 1);
  }

  private async round(): Promise<void> {
    await this.ensureLogin();
    const since = await this.deps.store.getSetting(SINCE_KEY);
    const query = new URLSearchParams({ timeout: String(this.deps.pollTimeoutMs) });
    if (since !== undefined) query.set('since', since);
    const sync = await this.call('GET', `/sync?${query.toString()}`, undefined, syncAnswer, {
      timeoutMs: this.deps.pollTimeoutMs + 30_000,
      maxBytes: 32 * 1_048_576,
    });
    for (const roomId of Object.keys(sync.rooms.invite)) await this.joinInvited(roomId);
    // A first sync returns history: commands typed before the bot ever ran are not run.
    if (since !== undefined) await this.handleJoined(sync);
    await this.deps.store.setSetting(SINCE_KEY, sync.next_batch);
  }

  private async handleJoined(sync: SyncAnswer): Promise<void> {
    for (const [roomId, room] of Object.entries(sync.rooms.join)) {
      for (const event of room.timeline.events) {
        if (this.signal.aborted) return;
        if (event.sender === this.userId) continue;
        if (event.type === 'm.room.encryption' || event.type === 'm.room.encrypted') {
          await this.refuseEncrypted(roomId);
          break;
        }
        if (event.type === 'm.room.message') await this.handleMessage(roomId, event);
      }
    }
  }

  private async handleMessage(roomId: string, event: RoomEvent): Promise<void> {
    const content = textContent.safeParse(event.content);
    if (!content.success || content.data.msgtype !== 'm.text') return;
    const command = parsePrefixedCommand(content.data.body, this.deps.settings.prefix);
    if (command === null || event.sender === undefined) return;
    const sender = event.sender;
    const reply = await this.deps.commands.run(this.chatOf(roomId), command, () =>
      this.mayManage(roomId, sender),
    );
    this.deps.logger.info({ roomId, command: command.name }, 'matrix bot: command');
    await this.notice(roomId, reply, `cmd.${event.event_id ?? `${sender}.${content.data.body}`}`);
  }

  private chatOf(roomId: string): BotChat {
    return {
      targetId: MatrixBot.targetIdFor(roomId),
      targetType: 'matrix',
      targetOptions: {
        homeserver: this.deps.settings.homeserver,
        accessToken: this.token ?? '',
        roomId,
        msgtype: 'm.notice',
      },
    };
  }

  /** The sender's power level in the room (`users`, else `users_default`) against the minimum. */
  private async mayManage(roomId: string, userId: string): Promise<boolean> {
    const levels = await this.call(
      'GET',
      `/rooms/${encodeURIComponent(roomId)}/state/m.room.power_levels/`,
      undefined,
      powerLevels,
    );
    const level = levels.users[userId] ?? levels.users_default;
    return level >= this.deps.settings.minPowerLevel;
  }

  private async joinInvited(roomId: string): Promise<void> {
    await this.send('POST', `/join/${encodeURIComponent(roomId)}`, {});
    this.deps.logger.info({ roomId }, 'matrix bot: joined room');
    const encryption = await this.request(
      'GET',
      `/rooms/${encodeURIComponent(roomId)}/state/m.room.encryption/`,
      undefined,
    );
    if (encryption.status === 200) await this.refuseEncrypted(roomId);
    else if (encryption.status !== 404) throw this.failure('room encryption state', encryption);
  }

  private async refuseEncrypted(roomId: string): Promise<void> {
    await this.notice(
      roomId,
      'This room is end-to-end encrypted: onair cannot read commands or post notices here, so it leaves. Invite it to an unencrypted room.',
      'encrypted',
    );
    await this.send('POST', `/rooms/${encodeURIComponent(roomId)}/leave`, {});
    this.deps.logger.info({ roomId }, 'matrix bot: left encrypted room');
  }

  private async notice(roomId: string, text: string, txn: string): Promise<void> {
    const txnId = encodeURIComponent(`onair.${txn}`);
    await this.send('PUT', `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${txnId}`, {
      msgtype: 'm.notice',
      body: text,
      'm.mentions': {},
    });
  }

  /** A token from the config, from an earlier login, or from a new login; and who the bot is. */
  private async ensureLogin(): Promise<void> {
    if (this.token !== null && this.userId !== null) return;
    const { accessToken, user, password } = this.deps.settings;
    if (this.token === null) {
      this.token = accessToken ?? (await this.deps.store.getSetting(TOKEN_KEY)) ?? null;
    }
    if (this.token !== null) {
      const who = await this.request('GET', '/account/whoami', undefined);
      if (who.status === 200) {
        this.userId = parseJsonBody(who.body, whoamiAnswer)?.user_id ?? null;
        if (this.userId !== null) return;
      }
      if (who.status !== 401 || user === undefined || password === undefined)
        throw this.failure('whoami', who);
    }
    if (user === undefined || password === undefined)
      throw new Error('bots.matrix needs accessToken or user and password');
    this.token = null;
    const login = await this.call(
      'POST',
      '/login',
      {
        type: 'm.login.password',
        identifier: { type: 'm.id.user', user },
        password,
        initial_device_display_name: 'onair',
      },
      loginAnswer,
    );
    this.token = login.access_token;
    this.userId = login.user_id;
    await this.deps.store.setSetting(TOKEN_KEY, login.access_token);
    await this.renewTargets(login.access_token);
    this.deps.logger.info({ userId: login.user_id }, 'matrix bot: logged in');
  }

  /** Rooms' targets carry the bot's token: a new login replaces it there too. */
  private async renewTargets(token: string): Promise<void> {
    const targets = await this.deps.store.listTargets();
    for (const t of targets) {
      if (t.source !== 'bot' || t.type !== 'matrix') continue;
      if (t.options['homeserver'] !== this.deps.settings.homeserver) continue;
      if (t.options['accessToken'] === token) continue;
      await this.deps.store.putTarget(
        { id: t.id, type: t.type, options: { ...t.options, accessToken: token } },
        'bot',
        this.deps.now(),
      );
    }
  }

  private async request(
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    body: unknown,
    limits: { timeoutMs: number; maxBytes: number } = { timeoutMs: 30_000, maxBytes: 1_048_576 },
  ): Promise<HttpResponse> {
    const res = await this.deps.http.request(`${this.base}${path}`, {
      method,
      headers: {
        ...(this.token === null ? {} : { authorization: `Bearer ${this.token}` }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      ...limits,
      signal: this.signal,
    });
    if (!res.ok) throw new Error(`matrix ${path.split('?')[0] ?? ''}: ${res.reason}`);
    return res;
  }

  /** A request whose answer must be 2xx; its body is not needed. */
  private async send(method: 'POST' | 'PUT', path: string, body: unknown): Promise<void> {
    const res = await this.request(method, path, body);
    if (res.status < 200 || res.status >= 300) throw this.failure(`matrix ${method} ${path}`, res);
  }

  private async call<T>(
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    body: unknown,
    schema: z.ZodType<T>,
    limits?: { timeoutMs: number; maxBytes: number },
  ): Promise<T> {
    const res = await this.request(method, path, body, limits);
    const what = `matrix ${method} ${path.split('?')[0] ?? ''}`;
    if (res.status < 200 || res.status >= 300) throw this.failure(what, res);
    const parsed = parseJsonBody(res.body, schema);
    if (parsed === undefined) throw new Error(`${what}: unexpected answer`);
    return parsed;
  }

  private failure(what: string, res: HttpResponse): MatrixHttpError {
    return new MatrixHttpError(
      what,
      res.status,
      parseJsonBody(res.body, errorAnswer)?.errcode ?? '',
    );
  }
}
