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
  matrixError,
  matrixSent,
  type MatrixEdit,
  type MatrixNotice,
  type MatrixRedaction,
} from './matrix.wire.js';

/** A Matrix event is at most 65,536 bytes (spec §Size limits): body and HTML (with `<br>`s) fit twice over. */
const MATRIX_TEXT: MessageLimits = { unit: 'utf8', text: 16_000, html: 16_000 };

const options = z.strictObject({
  homeserver: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  accessToken: z.string().min(1),
  roomId: z
    .string()
    .regex(/^![^:]+:.+$/, 'must be a room id like !abc:example.org (aliases are not resolved)'),
  msgtype: z.enum(['m.notice', 'm.text']).default('m.notice'),
});
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
  readonly secretOptions = ['accessToken'];
  readonly supports = { edit: true, retract: true };
  private readonly deps: NotifierDeps;

  constructor(deps: NotifierDeps) {
    this.deps = deps;
  }

  /** `matrix[s]://[user:]ACCESS_TOKEN@host[:port]/!room:server[?msgtype=m.text]`. */
  optionsFromUrl(raw: string): OptionsResult {
    const parsed = shorthand(raw, 'matrix://TOKEN@host/!room:server');
    if (!parsed.ok) return parsed;
    const { url } = parsed;
    const { user, password } = credentials(url);
    const token = password !== '' ? password : user;
    const [room, ...extra] = pathSegments(url);
    if (token === '') return urlIssue('needs an access token: matrix://TOKEN@host/!room:server');
    if (room === undefined || extra.length > 0 || url.hash !== '') {
      return urlIssue(
        'needs one room id (!room:server) as the path; aliases (#room) are not resolved',
      );
    }
    return {
      ok: true,
      options: {
        homeserver: httpOrigin(url, ['matrixs']),
        accessToken: token,
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
    const url = `${trimTrailingSlashes(opts.homeserver)}/_matrix/client/v3/rooms/${encodeURIComponent(opts.roomId)}/${req.path}`;
    const res = await this.deps.http.request(url, {
      method: 'PUT',
      headers: { authorization: `Bearer ${opts.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(req.body),
      timeoutMs: this.deps.timeoutMs,
      maxBytes: 64 * 1024,
      signal: context.signal,
    });
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
