import { createTransport } from 'nodemailer';
import { z } from 'zod';
import { STANDARD_TEMPLATES, renderMessage } from '../../../core/messages/message.js';
import { contentId } from '../../../core/event-id.js';
import { escapeHtml } from '../../../core/messages/template.js';
import type { Notification } from '../../../core/notification.js';
import type {
  Notifier,
  OptionsResult,
  RenderContext,
  SendContext,
  SendResult,
  Target,
} from '../../../ports/notifier.js';
import { withDeadline } from '../abort.js';
import { credentials, parseOptionsWith, pathSegments, shorthand } from '../options.js';
import type { EmailMessage } from './email.wire.js';

const address = z.email({ error: 'must be an e-mail address' });
const options = z.strictObject({
  host: z.string().min(1),
  port: z.coerce.number().int().min(1).max(65535).optional(),
  /** `starttls` requires the upgrade, `tls` is TLS from the first byte (465), `none` is plain SMTP. */
  security: z.enum(['starttls', 'tls', 'none']).default('starttls'),
  username: z.string().min(1).optional(),
  password: z.string().min(1).optional(),
  from: address,
  to: z.array(address).min(1),
});
type Options = z.output<typeof options>;

const DEFAULT_PORT = { starttls: 587, tls: 465, none: 25 } as const;

export interface EmailDeps {
  readonly timeoutMs: number;
}

/** E-mail over SMTP with plain and HTML parts. Mail cannot be edited, so only `post` is supported. */
export class EmailNotifier implements Notifier {
  readonly type = 'email';
  readonly schemes = ['mailto', 'mailtos'];
  readonly secretOptions = ['password'];
  readonly supports = { edit: false, retract: false };
  private readonly deps: EmailDeps;

  constructor(deps: EmailDeps) {
    this.deps = deps;
  }

  /**
   * `mailto://[user:pass@]smtp.host[:port]/to@example.org[?from=…&to=…]` is plain SMTP;
   * `mailtos://` requires STARTTLS, or TLS from the start with `?mode=ssl` (as in Apprise).
   */
  optionsFromUrl(raw: string): OptionsResult {
    const parsed = shorthand(raw, 'mailto://smtp.host/to@example.org?from=onair@example.org');
    if (!parsed.ok) return parsed;
    const { url } = parsed;
    const { user, password } = credentials(url);
    const to = [
      ...pathSegments(url),
      ...url.searchParams.getAll('to').flatMap((t) => t.split(',')),
    ].filter((t) => t !== '');
    const security =
      url.protocol === 'mailto:'
        ? 'none'
        : url.searchParams.get('mode') === 'ssl'
          ? 'tls'
          : 'starttls';
    const from =
      url.searchParams.get('from') ?? (user.includes('@') ? user : `onair@${url.hostname}`);
    return {
      ok: true,
      options: {
        host: url.hostname,
        ...(url.port === '' ? {} : { port: Number(url.port) }),
        security,
        ...(user === '' ? {} : { username: user }),
        ...(password === '' ? {} : { password }),
        from,
        to,
      },
    };
  }

  parseOptions(raw: unknown): OptionsResult {
    return parseOptionsWith(options, raw);
  }

  render(n: Notification, target: Target, context: RenderContext): EmailMessage {
    const opts = target.options as Options;
    const message = renderMessage(n, STANDARD_TEMPLATES, context.templates);
    const domain = opts.from.split('@')[1] ?? 'onair';
    const session =
      n.startedAt === null ? null : `<${contentId(n.channel.id, n.startedAt)}@${domain}>`;
    const html =
      `<p><strong>${escapeHtml(message.headline)}</strong></p>\n<p>${message.html.replaceAll('\n', '<br>\n')}</p>\n` +
      `<p><a href="${escapeHtml(message.link)}">Watch on ${escapeHtml(n.channel.platform)}</a></p>\n`;
    return {
      from: opts.from,
      to: opts.to,
      subject: message.headline,
      text: `${message.text}\n`,
      html,
      messageId: `<${n.id}@${domain}>`,
      ...(session === null ? {} : { references: session }),
    };
  }

  async send(n: Notification, target: Target, context: SendContext): Promise<SendResult> {
    const opts = target.options as Options;
    const mail = this.render(n, target, context);
    const port = opts.port ?? DEFAULT_PORT[opts.security];
    const what = `smtp ${opts.host}:${port}`;
    const transport = createTransport({
      host: opts.host,
      port,
      secure: opts.security === 'tls',
      requireTLS: opts.security === 'starttls',
      ignoreTLS: opts.security === 'none',
      ...(opts.username === undefined
        ? {}
        : { auth: { user: opts.username, pass: opts.password ?? '' } }),
      connectionTimeout: this.deps.timeoutMs,
      greetingTimeout: this.deps.timeoutMs,
      socketTimeout: this.deps.timeoutMs,
    });
    const outcome = await withDeadline(
      transport.sendMail({ ...mail, to: [...mail.to] }),
      context.signal,
      this.deps.timeoutMs,
      () => {
        transport.close();
      },
    );
    transport.close();
    if (outcome.ok)
      return {
        ok: true,
        messageId: mail.messageId,
        detail: `${what} accepted for ${outcome.value.accepted.length} recipients`,
      };
    if (outcome.reason !== 'error')
      return {
        ok: false,
        retryable: true,
        retryAfterMs: null,
        error: `${what}: ${outcome.reason}`,
      };
    // nodemailer puts the SMTP reply code and its own error code on the error; the message may quote the server.
    const { code, responseCode } = outcome.error as { code?: unknown; responseCode?: unknown };
    const reply = typeof responseCode === 'number' ? responseCode : null;
    const permanent =
      (reply !== null && reply >= 500) ||
      code === 'EAUTH' ||
      code === 'EENVELOPE' ||
      (code === 'ETLS' && opts.security === 'starttls');
    return {
      ok: false,
      retryable: !permanent,
      retryAfterMs: null,
      error: `${what}: ${typeof code === 'string' ? code : 'error'}${reply === null ? '' : ` ${reply}`}`,
    };
  }
}
