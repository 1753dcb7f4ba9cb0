import { createHmac } from 'node:crypto';
import { z } from 'zod';
import type { Notification } from '../../../core/notification.js';
import { redactUrl } from '../../../core/redact.js';
import type { HttpClient } from '../../../ports/http-client.js';
import type { Notifier, SendResult, Target } from '../../../ports/notifier.js';
import { parseOptionsWith } from '../options.js';
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
  readonly secretOptions = ['secret', 'headers'];
  private readonly deps: WebhookDeps;

  constructor(deps: WebhookDeps) {
    this.deps = deps;
  }

  parseOptions(raw: unknown) {
    return parseOptionsWith(options, raw);
  }

  async send(notification: Notification, target: Target, signal: AbortSignal): Promise<SendResult> {
    const opts = target.options as Options;
    const body = JSON.stringify(webhookBody(notification));
    const headers: Record<string, string> = {
      ...opts.headers,
      'content-type': 'application/json',
      'x-onair-event': notification.event,
      'x-onair-delivery': notification.id,
    };
    if (opts.secret !== undefined) {
      headers['x-onair-signature'] = `sha256=${createHmac('sha256', opts.secret).update(body).digest('hex')}`;
    }
    const res = await this.deps.http.request(opts.url, {
      method: 'POST',
      headers,
      body,
      timeoutMs: this.deps.timeoutMs,
      maxBytes: 64 * 1024,
      signal,
    });
    return resultOfHttp(res, `webhook ${redactUrl(opts.url)}`, this.deps.now());
  }
}
