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
  cc: z.array(address).optional(),
  bcc: z.array(address).optional(),
});

/** SMTP servers of providers whose mail domain is not their SMTP host (as Apprise knows them). */
const WELL_KNOWN: Readonly<
  Record<string, { smtp: string; port: number; security: 'starttls' | 'tls' }>
> = {
  'gmail.com': { smtp: 'smtp.gmail.com', port: 587, security: 'starttls' },
  'googlemail.com': { smtp: 'smtp.gmail.com', port: 587, security: 'starttls' },
  'outlook.com': { smtp: 'smtp.outlook.com', port: 587, security: 'starttls' },
  'hotmail.com': { smtp: 'smtp-mail.outlook.com', port: 587, security: 'starttls' },
  'live.com': { smtp: 'smtp-mail.outlook.com', port: 587, security: 'starttls' },
  'yahoo.com': { smtp: 'smtp.mail.yahoo.com', port: 465, security: 'tls' },
  'fastmail.com': { smtp: 'smtp.fastmail.com', port: 465, security: 'tls' },
};
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
   * `mailto[s]://[user:pass@]host[:port][/to…][?to=&cc=&bcc=&from=&smtp=&user=&pass=&mode=ssl]`, read
   * as Apprise reads it: the sender defaults to `user@host` and the recipient to the sender; `smtp=`
   * names another SMTP server for the host's domain; well-known providers (Gmail, Outlook, Yahoo,
   * Fastmail) get their SMTP server, port and full-address login.
   */
  optionsFromUrl(raw: string): OptionsResult {
    const parsed = shorthand(raw, 'mailto://user:pass@example.org/to@example.org');
    if (!parsed.ok) return parsed;
    const { url } = parsed;
    const q = url.searchParams;
    const given = credentials(url);
    const user = q.get('user') ?? given.user;
    const password = q.get('pass') ?? given.password;
    const provider = WELL_KNOWN[url.hostname.toLowerCase()];
    const list = (name: string) =>
      q
        .getAll(name)
        .flatMap((t) => t.split(/[,\s]+/))
        .filter((t) => t !== '');
    const from =
      q.get('from') ??
      (user.includes('@') ? user : `${user === '' ? 'onair' : user}@${url.hostname}`);
    const to = [...pathSegments(url), ...list('to')];
    const cc = list('cc');
    const bcc = list('bcc');
    const security = provider
      ? provider.security
      : url.protocol === 'mailto:'
        ? 'none'
        : q.get('mode') === 'ssl'
          ? 'tls'
          : 'starttls';
    const port = url.port !== '' ? Number(url.port) : provider?.port;
    // Providers log in with the full address; others with the user as given.
    const login = provider && user !== '' && !user.includes('@') ? `${user}@${url.hostname}` : user;
    return {
      ok: true,
      options: {
        host: q.get('smtp') ?? provider?.smtp ?? url.hostname,
        ...(port === undefined ? {} : { port }),
        security,
        ...(login === '' ? {} : { username: login }),
        ...(password === '' ? {} : { password }),
        from,
        to: to.length === 0 ? [from] : to,
        ...(cc.length === 0 ? {} : { cc }),
        ...(bcc.length === 0 ? {} : { bcc }),
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
      ...(opts.cc === undefined ? {} : { cc: opts.cc }),
      ...(opts.bcc === undefined ? {} : { bcc: opts.bcc }),
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
    const { to: _to, cc: _cc, bcc: _bcc, ...envelopeless } = mail;
    const outcome = await withDeadline(
      transport.sendMail({
        ...envelopeless,
        to: [...mail.to],
        ...(mail.cc === undefined ? {} : { cc: [...mail.cc] }),
        ...(mail.bcc === undefined ? {} : { bcc: [...mail.bcc] }),
      }),
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
