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
import { credentials, flag, parseOptionsWith, shorthand, urlIssue } from '../options.js';
import { resultOfHttp } from '../http-result.js';
import { webhookBody } from './webhook.body.js';

const options = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  secret: z.string().min(1).optional(),
  headers: z.record(z.string(), z.string()).optional(),
  /** The body-carrying methods Apprise's `json://?method=` offers. */
  method: z.enum(['POST', 'PUT', 'PATCH']).default('POST'),
});
type Options = z.infer<typeof options>;

/** Query parameters Apprise reads itself (never part of the request it makes). */
const APPRISE_PARAMS = new Set([
  'method',
  'verify',
  'format',
  'overflow',
  'emojis',
  'cto',
  'rto',
  'store',
  'tz',
  'lang',
]);

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

  /**
   * `json://[user:pass@]host[:port]/path` posts over plain HTTP, `jsons://` over HTTPS, as Apprise
   * reads it: `user:pass` is Basic auth, `?+Name=value` a request header, `?-name=value` a query
   * parameter of the request, `?method=` the method; Apprise's other settings are not sent on.
   */
  optionsFromUrl(raw: string): OptionsResult {
    const parsed = shorthand(raw, 'json://host/path');
    if (!parsed.ok) return parsed;
    const source = parsed.url;
    const url = new URL(`${source.protocol === 'jsons:' ? 'https' : 'http'}://${source.host}`);
    url.pathname = source.pathname;
    const headers: Record<string, string> = {};
    const { user, password } = credentials(source);
    if (user !== '' || password !== '')
      headers['authorization'] = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    // Apprise decodes the query without form rules: `+` in `+Header` (and in values) is literal.
    for (const [name, value] of rawQuery(source.search)) {
      if (name.startsWith('+') && name.length > 1) headers[name.slice(1)] = value;
      else if (name.startsWith('-') && name.length > 1)
        url.searchParams.append(name.slice(1), value);
      // Earlier onair kept plain parameters in the URL (a contract); Apprise's own are not sent.
      else if (!APPRISE_PARAMS.has(name.toLowerCase())) url.searchParams.append(name, value);
    }
    const method = source.searchParams.get('method')?.toUpperCase();
    if (flag(source.searchParams.get('verify')) === false)
      return urlIssue('verify=no is not supported: onair always checks TLS certificates');
    return {
      ok: true,
      options: {
        url: url.href,
        ...(Object.keys(headers).length === 0 ? {} : { headers }),
        ...(method === undefined ? {} : { method }),
      },
    };
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
      method: opts.method,
      headers,
      body,
      timeoutMs: this.deps.timeoutMs,
      maxBytes: 64 * 1024,
      signal,
    });
    return resultOfHttp(res, `webhook ${redactUrlWithPath(opts.url)}`, this.deps.now());
  }
}

/** `?a=b&c` as name/value pairs, percent-decoded only (a `+` stays a `+`). */
function rawQuery(search: string): [string, string][] {
  const decode = (text: string) => {
    try {
      return decodeURIComponent(text);
    } catch {
      return text;
    }
  };
  return search
    .replace(/^\?/, '')
    .split('&')
    .filter((pair) => pair !== '')
    .map((pair) => {
      const at = pair.indexOf('=');
      return at === -1
        ? [decode(pair), '']
        : [decode(pair.slice(0, at)), decode(pair.slice(at + 1))];
    });
}
