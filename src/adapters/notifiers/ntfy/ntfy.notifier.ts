import { z } from 'zod';
import { STANDARD_TEMPLATES, renderMessage } from '../../../core/messages/message.js';
import type { Notification } from '../../../core/notification.js';
import { clipUtf8, trimTrailingSlashes } from '../../../core/text.js';
import type { HttpRequest } from '../../../ports/http-client.js';
import type {
  Notifier,
  OptionsResult,
  RenderContext,
  SendContext,
  SendResult,
  Target,
} from '../../../ports/notifier.js';
import type { NotifierDeps } from '../deps.js';
import { clip, parseJsonBody, statusFailure, transportFailure } from '../http-result.js';
import {
  credentials,
  shorthand,
  httpOrigin,
  parseOptionsWith,
  pathSegments,
  queryOptions,
  urlIssue,
} from '../options.js';
import { ntfyError, ntfyMessage, type NtfyPublish } from './ntfy.wire.js';

const PRIORITIES = { min: 1, low: 2, default: 3, high: 4, max: 5, urgent: 5 } as const;

const options = z.strictObject({
  server: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
    .default('https://ntfy.sh'),
  topic: z.string().regex(/^[-_A-Za-z0-9]{1,64}$/, 'must be 1–64 letters, digits, `-` or `_`'),
  token: z.string().min(1).optional(),
  username: z.string().min(1).optional(),
  password: z.string().min(1).optional(),
  priority: z
    .union([
      z.coerce.number().int().min(1).max(5),
      z.enum(Object.keys(PRIORITIES) as [keyof typeof PRIORITIES]),
    ])
    .optional(),
  /** Extra tags (emoji short codes work) before the stream's own. */
  tags: z.array(z.string().min(1)).optional(),
});
type Options = z.infer<typeof options>;

/** A rendered ntfy request, without credentials. */
export interface NtfyRequest {
  readonly method: 'POST' | 'DELETE';
  /** Path below the server. */
  readonly path: string;
  readonly body: NtfyPublish | null;
}

/**
 * ntfy: one JSON publish per notification with a sequence id derived from the session's live
 * event, so an offline edit replaces the phone's notification and a retraction deletes it.
 */
export class NtfyNotifier implements Notifier {
  readonly type = 'ntfy';
  readonly schemes = ['ntfy', 'ntfys'];
  readonly secretOptions = ['token', 'password'];
  readonly supports = { edit: true, retract: true };
  private readonly deps: NotifierDeps;

  constructor(deps: NotifierDeps) {
    this.deps = deps;
  }

  /** `ntfy[s]://[user:pass@|token@]host[:port]/topic[?priority=high&tags=a,b]`; `ntfy://topic` is ntfy.sh. */
  optionsFromUrl(raw: string): OptionsResult {
    const parsed = shorthand(raw, 'ntfy://host/topic');
    if (!parsed.ok) return parsed;
    const { url } = parsed;
    const segments = pathSegments(url);
    const { user, password } = credentials(url);
    const out: Record<string, unknown> = { ...queryOptions(url, ['priority']) };
    const tags = url.searchParams.get('tags');
    if (tags !== null) out['tags'] = tags.split(',').filter((t) => t !== '');
    if (segments.length === 0) {
      out['server'] = 'https://ntfy.sh';
      out['topic'] = url.hostname;
    } else if (segments.length === 1) {
      out['server'] = httpOrigin(url, ['ntfys']);
      out['topic'] = segments[0];
    } else return urlIssue('takes one topic: ntfy://host/topic');
    if (password !== '') {
      out['username'] = user;
      out['password'] = password;
    } else if (user !== '') out['token'] = user;
    const token = url.searchParams.get('token');
    if (token !== null) out['token'] = token;
    return { ok: true, options: out };
  }

  parseOptions(raw: unknown): OptionsResult {
    return parseOptionsWith(
      options.refine((o) => (o.username === undefined) === (o.password === undefined), {
        message: 'username and password go together',
        path: ['password'],
      }),
      raw,
    );
  }

  render(n: Notification, target: Target, context: RenderContext): NtfyRequest {
    const opts = target.options as Options;
    if (context.action.kind === 'retract') {
      return { method: 'DELETE', path: `/${opts.topic}/${context.action.messageId}`, body: null };
    }
    const message = renderMessage(n, STANDARD_TEMPLATES, context.templates);
    const priority =
      typeof opts.priority === 'string'
        ? PRIORITIES[opts.priority]
        : (opts.priority ?? (n.event === 'offline' ? 2 : 4));
    return {
      method: 'POST',
      path: '/',
      body: {
        topic: opts.topic,
        title: clipUtf8(message.headline, 250, '…'),
        // ntfy turns a message over 4,096 bytes into an attachment (its message-size-limit).
        message: clipUtf8(message.text, 4_096, '…'),
        tags: [
          ...(opts.tags ?? []),
          ...(n.event === 'offline' ? [] : ['red_circle']),
          ...n.tags,
        ].slice(0, 10),
        priority,
        click: message.link,
        sequence_id: context.action.kind === 'edit' ? context.action.messageId : n.id,
      },
    };
  }

  async send(n: Notification, target: Target, context: SendContext): Promise<SendResult> {
    const opts = target.options as Options;
    const req = this.render(n, target, context);
    const what = `ntfy ${new URL(opts.server).host}`;
    const headers: Record<string, string> = {};
    if (opts.token !== undefined) headers['authorization'] = `Bearer ${opts.token}`;
    else if (opts.username !== undefined && opts.password !== undefined) {
      headers['authorization'] =
        `Basic ${Buffer.from(`${opts.username}:${opts.password}`).toString('base64')}`;
    }
    const init: HttpRequest = {
      method: req.method,
      headers: req.body ? { ...headers, 'content-type': 'application/json' } : headers,
      timeoutMs: this.deps.timeoutMs,
      maxBytes: 64 * 1024,
      signal: context.signal,
      ...(req.body ? { body: JSON.stringify(req.body) } : {}),
    };
    const res = await this.deps.http.request(
      `${trimTrailingSlashes(opts.server)}${req.path}`,
      init,
    );
    if (!res.ok) return transportFailure(res, what);
    if (res.status === 404 && req.method === 'DELETE')
      return { ok: true, messageId: null, detail: `${what}: already gone` };
    if (res.status < 200 || res.status >= 300) {
      const error = parseJsonBody(res.body, ntfyError)?.error;
      return statusFailure(res, what, this.deps.now(), error === undefined ? '' : clip(error));
    }
    if (req.body === null)
      return { ok: true, messageId: null, detail: `${what} deleted the notification` };
    const stored = parseJsonBody(res.body, ntfyMessage);
    return {
      ok: true,
      messageId: req.body.sequence_id,
      detail: `${what} stored message ${stored?.id ?? '(no id)'}`,
    };
  }
}
