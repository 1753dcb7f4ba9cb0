import { createHmac } from 'node:crypto';
import { z } from 'zod';
import type { Notification } from '../../../core/notification.js';
import { redactUrlWithPath } from '../../../core/redact.js';
import type { HttpClient } from '../../../ports/http-client.js';
import type {
  Notifier,
  OptionsResult,
  SendContext,
  SendResult,
  Target,
} from '../../../ports/notifier.js';
import { parseOptionsWith, shorthand } from '../options.js';
import { resultOfHttp } from '../http-result.js';
import { webhookBody } from './webhook.body.js';

const options = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  secret: z.string().min(1).optional(),
  headers: z.record(z.string(), z.string()).optional(),
});
type Options = z.infer<typeof options>;

export interface WebhookDeps {
  readonly http: HttpClient;
  readonly timeoutMs: number;
  readonly now: () => number;
}

/**
 * POSTs the JSON contract of the sentinel-core issue. With a secret, `X-Onair-Signature` is
 * `sha256=<hex HMAC-SHA256 of the raw body>`; `X-Onair-Delivery` is the stable event id.
 */
export class WebhookNotifier implements Notifier {
  readonly type = 'webhook';
  readonly schemes = ['json', 'jsons'];
  readonly secretOptions = ['secret', 'headers'];
  /** A webhook receives each event as it is; what it does with an earlier one is its business. */
  readonly supports = { edit: false, retract: false };
  private readonly deps: WebhookDeps;

  constructor(deps: WebhookDeps) {
    this.deps = deps;
  }

  /** `json://host[:port]/path` posts over plain HTTP, `jsons://` over HTTPS (user info and query kept). */
  optionsFromUrl(raw: string): OptionsResult {
    const parsed = shorthand(raw, 'json://host/path');
    if (!parsed.ok) return parsed;
    const url = new URL(
      parsed.url.href.replace(/^jsons?:/, parsed.url.protocol === 'jsons:' ? 'https:' : 'http:'),
    );
    return { ok: true, options: { url: url.href } };
  }

  parseOptions(raw: unknown): OptionsResult {
    return parseOptionsWith(options, raw);
  }

  /** The webhook body; a contract, the same for every event kind. */
  render(notification: Notification) {
    return webhookBody(notification);
  }

  async send(
    notification: Notification,
    target: Target,
    { signal }: SendContext,
  ): Promise<SendResult> {
    const opts = target.options as Options;
    const body = JSON.stringify(this.render(notification));
    const headers: Record<string, string> = {
      ...opts.headers,
      'content-type': 'application/json',
      'x-onair-event': notification.event,
      'x-onair-delivery': notification.id,
    };
    if (opts.secret !== undefined) {
      headers['x-onair-signature'] =
        `sha256=${createHmac('sha256', opts.secret).update(body).digest('hex')}`;
    }
    const res = await this.deps.http.request(opts.url, {
      method: 'POST',
      headers,
      body,
      timeoutMs: this.deps.timeoutMs,
      maxBytes: 64 * 1024,
      signal,
    });
    return resultOfHttp(res, `webhook ${redactUrlWithPath(opts.url)}`, this.deps.now());
  }
}
