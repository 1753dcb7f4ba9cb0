import { z } from 'zod';
import { CHAT_TEMPLATES, renderMessage } from '../../../core/messages/message.js';
import type { Notification } from '../../../core/notification.js';
import { clipMessage, type MessageLimits } from '../../../core/messages/provider-text.js';
import { trimTrailingSlashes } from '../../../core/text.js';
import type {
  Notifier,
  OptionsResult,
  RenderContext,
  SendContext,
  SendResult,
  Target,
} from '../../../ports/notifier.js';
import type { NotifierDeps } from '../deps.js';
import { parseJsonBody, retryAfterMs, statusFailure, transportFailure } from '../http-result.js';
import {
  credentials,
  shorthand,
  httpOrigin,
  parseOptionsWith,
  pathSegments,
  queryOptions,
  urlIssue,
} from '../options.js';
import {
  matrixAlias,
  matrixError,
  matrixLogin,
  matrixSent,
  type MatrixEdit,
  type MatrixNotice,
  type MatrixRedaction,
} from './matrix.wire.js';

/** A Matrix event is at most 65,536 bytes (spec §Size limits): body and HTML (with `<br>`s) fit twice over. */
const MATRIX_TEXT: MessageLimits = { unit: 'utf8', text: 16_000, html: 16_000 };

const options = z
  .strictObject({
    homeserver: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
    /** A token, or a user and password that onair logs in with (again when the token dies). */
    accessToken: z.string().min(1).optional(),
    user: z.string().min(1).optional(),
    password: z.string().min(1).optional(),
    /** A room id (`!abc:example.org`) or an alias (`#room:example.org`), resolved when sending. */
    roomId: z
      .string()
      .regex(
        /^[!#][^:]+:.+$/,
        'must be a room id like !abc:example.org or an alias like #room:example.org',
      ),
    msgtype: z.enum(['m.notice', 'm.text']).default('m.notice'),
  })
  .refine(
    (o) => o.accessToken !== undefined || (o.user !== undefined && o.password !== undefined),
    {
      message: 'needs accessToken, or user and password',
      path: ['accessToken'],
    },
  );
type Options = z.infer<typeof options>;

/** A rendered Matrix request, relative to the room (the access token stays out of it). */
export interface MatrixRequest {
  /** `send/m.room.message/{txnId}` or `redact/{eventId}/{txnId}`. */
  readonly path: string;
  readonly body: MatrixNotice | MatrixEdit | MatrixRedaction;
}

/**
 * Matrix client-server API. The transaction id comes from the event id (and the action), so a
 * retry after a lost answer is recognised by the homeserver and never posts twice.
 */
export class MatrixNotifier implements Notifier {
  readonly type = 'matrix';
  readonly schemes = ['matrix', 'matrixs'];
  readonly secretOptions = ['accessToken', 'password'];
  readonly supports = { edit: true, retract: true };
  private readonly deps: NotifierDeps;
  /** Tokens from password logins, per homeserver and user; dropped when the homeserver says 401. */
  private readonly logins = new Map<string, string>();
  /** Room ids of aliases, per homeserver and alias. */
  private readonly aliases = new Map<string, string>();

  constructor(deps: NotifierDeps) {
    this.deps = deps;
  }

  /**
   * `matrix[s]://user:password@host[:port]/!room:server` logs in with the password (as Apprise
   * does); `matrix[s]://TOKEN@host/…` uses an access token. The room may be an alias
   * (`%23room:server`, or `#room:server` after the path, where a URL keeps its fragment).
   */
  optionsFromUrl(raw: string): OptionsResult {
    const parsed = shorthand(raw, 'matrix://user:password@host/!room:server');
    if (!parsed.ok) return parsed;
    const { url } = parsed;
    const { user, password } = credentials(url);
    const rooms = [
      ...pathSegments(url),
      ...(url.hash === '' ? [] : [decodeURIComponent(url.hash)]),
    ];
    if (user === '')
      return urlIssue('needs user:password@ or an access token: matrix://TOKEN@host/!room:server');
    const [room, ...extra] = rooms;
    if (room === undefined || extra.length > 0)
      return urlIssue('needs one room (!room:server or #alias:server) per target');
    return {
      ok: true,
      options: {
        homeserver: httpOrigin(url, ['matrixs']),
        ...(password === '' ? { accessToken: user } : { user, password }),
        roomId: room,
        ...queryOptions(url, ['msgtype']),
      },
    };
  }

  parseOptions(raw: unknown): OptionsResult {
    return parseOptionsWith(options, raw);
  }

  render(n: Notification, target: Target, context: RenderContext): MatrixRequest {
    const opts = target.options as Options;
    const { action } = context;
    const txn = (suffix: string) => encodeURIComponent(`onair.${n.id}.${suffix}`);
    if (action.kind === 'retract') {
      return {
        path: `redact/${encodeURIComponent(action.messageId)}/${txn('redact')}`,
        body: { reason: 'The stream has ended' },
      };
    }
    const message = clipMessage(renderMessage(n, CHAT_TEMPLATES, context.templates), MATRIX_TEXT);
    const notice: MatrixNotice = {
      msgtype: opts.msgtype,
      body: message.text,
      format: 'org.matrix.custom.html',
      formatted_body: message.html.replaceAll('\n', '<br>'),
      'm.mentions': {},
    };
    if (action.kind === 'post') return { path: `send/m.room.message/${txn('post')}`, body: notice };
    const edit: MatrixEdit = {
      ...notice,
      body: `* ${notice.body}`,
      formatted_body: `* ${notice.formatted_body}`,
      'm.new_content': notice,
      'm.relates_to': { rel_type: 'm.replace', event_id: action.messageId },
    };
    return { path: `send/m.room.message/${txn('edit')}`, body: edit };
  }

  async send(n: Notification, target: Target, context: SendContext): Promise<SendResult> {
    const opts = target.options as Options;
    const req = this.render(n, target, context);
    const what = `matrix ${new URL(opts.homeserver).host}`;
    const api = `${trimTrailingSlashes(opts.homeserver)}/_matrix/client/v3`;
    const loginKey = `${opts.homeserver}\u0000${opts.user ?? ''}`;
    const exchange = async (
      method: 'GET' | 'PUT' | 'POST',
      path: string,
      body: unknown,
      token: string | null,
    ) =>
      this.deps.http.request(`${api}${path}`, {
        method,
        headers: {
          ...(token === null ? {} : { authorization: `Bearer ${token}` }),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        timeoutMs: this.deps.timeoutMs,
        maxBytes: 64 * 1024,
        signal: context.signal,
      });
    /** The token to use: configured, or from a (new) password login. */
    const token = async (fresh: boolean): Promise<string | SendResult> => {
      if (opts.accessToken !== undefined) return opts.accessToken;
      const known = this.logins.get(loginKey);
      if (known !== undefined && !fresh) return known;
      const login = await exchange(
        'POST',
        '/login',
        {
          type: 'm.login.password',
          identifier: { type: 'm.id.user', user: opts.user },
          password: opts.password,
          initial_device_display_name: 'onair',
        },
        null,
      );
      if (!login.ok) return transportFailure(login, `${what} login`);
      const answer = parseJsonBody(login.body, matrixLogin);
      if (login.status !== 200 || answer === undefined)
        return statusFailure(login, `${what} login`, this.deps.now());
      this.logins.set(loginKey, answer.access_token);
      return answer.access_token;
    };
    let bearer = await token(false);
    if (typeof bearer !== 'string') return bearer;
    let roomId = opts.roomId;
    if (roomId.startsWith('#')) {
      const aliasKey = `${opts.homeserver}\u0000${roomId}`;
      const known = this.aliases.get(aliasKey);
      if (known === undefined) {
        const found = await exchange(
          'GET',
          `/directory/room/${encodeURIComponent(roomId)}`,
          undefined,
          bearer,
        );
        if (!found.ok) return transportFailure(found, `${what} alias`);
        const room = parseJsonBody(found.body, matrixAlias);
        if (found.status !== 200 || room === undefined)
          return statusFailure(found, `${what} alias ${roomId}`, this.deps.now());
        this.aliases.set(aliasKey, room.room_id);
        roomId = room.room_id;
      } else roomId = known;
    }
    const path = `/rooms/${encodeURIComponent(roomId)}/${req.path}`;
    let res = await exchange('PUT', path, req.body, bearer);
    // A password login's token died (logged out, expired): log in again once and retry.
    if (res.ok && res.status === 401 && opts.accessToken === undefined) {
      this.logins.delete(loginKey);
      bearer = await token(true);
      if (typeof bearer !== 'string') return bearer;
      res = await exchange('PUT', path, req.body, bearer);
    }
    if (!res.ok) return transportFailure(res, what);
    if (res.status < 200 || res.status >= 300) {
      const error = parseJsonBody(res.body, matrixError);
      // The header is preferred since v1.10; the body field is the fallback.
      const wait =
        retryAfterMs(res.headers['retry-after'], this.deps.now()) ?? error?.retry_after_ms ?? null;
      return statusFailure(res, what, this.deps.now(), error?.errcode ?? '', wait);
    }
    const sent = parseJsonBody(res.body, matrixSent);
    const verb =
      context.action.kind === 'post'
        ? 'posted'
        : context.action.kind === 'edit'
          ? 'edited with'
          : 'redacted with';
    // The original's id is what later edits and redactions refer to.
    const messageId = context.action.kind === 'post' ? (sent?.event_id ?? null) : null;
    return { ok: true, messageId, detail: `${what} ${verb} event ${sent?.event_id ?? '(no id)'}` };
  }
}
