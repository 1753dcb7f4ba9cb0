import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { UndiciHttpClient } from '../http-client/undici-http-client.js';
import { notifiers } from './registry.js';

/**
 * Apprise-compatible shorthand URLs: each row goes through Debian's Apprise (which parses a URL
 * into a plugin object without sending anything) and through onair's `optionsFromUrl` +
 * `parseOptions`; both are reduced to the same fields and must agree. Rows where onair
 * deliberately differs are in the README's table, not here.
 */

type Fields = Record<string, unknown>;

interface Row {
  readonly url: string;
  /** The fields that matter for this kind, from Apprise's plugin attributes (Python, one expression over `p`). */
  readonly apprise: string;
  /** The same fields from onair's parsed options. */
  readonly onair: (o: Record<string, unknown>) => Fields;
}

const json = {
  apprise: `{'scheme': 'https' if p.secure else 'http', 'host': p.host, 'port': p.port, 'path': p.fullpath, 'params': p.params, 'headers': p.headers, 'method': p.method, 'basic': [p.user, p.password] if p.user else None}`,
  onair: (o: Record<string, unknown>): Fields => {
    const url = new URL(String(o['url']));
    const { authorization, ...headers } = (o['headers'] ?? {}) as Record<string, string>;
    const basic =
      authorization === undefined
        ? null
        : Buffer.from(authorization.replace(/^Basic /, ''), 'base64')
            .toString()
            .split(':');
    return {
      scheme: url.protocol.slice(0, -1),
      host: url.hostname,
      port: url.port === '' ? null : Number(url.port),
      path: url.pathname,
      params: Object.fromEntries(url.searchParams),
      headers,
      method: o['method'],
      basic,
    };
  },
};

const email = {
  apprise: `{'smtp': p.smtp_host, 'port': p.port, 'user': p.user, 'password': p.password, 'from': p.from_addr[1] if isinstance(p.from_addr, list) else p.from_addr[1], 'to': sorted(t[1] for t in p.targets), 'cc': sorted(p.cc), 'bcc': sorted(p.bcc)}`,
  onair: (o: Record<string, unknown>): Fields => ({
    smtp: o['host'],
    port: o['port'] ?? { starttls: 587, tls: 465, none: 25 }[String(o['security'])],
    user: o['username'] ?? null,
    password: o['password'] ?? null,
    from: o['from'],
    to: [...(o['to'] as string[])].sort(),
    cc: [...((o['cc'] as string[] | undefined) ?? [])].sort(),
    bcc: [...((o['bcc'] as string[] | undefined) ?? [])].sort(),
  }),
};

const telegram = {
  apprise: `{'token': p.bot_token, 'chats': p.targets}`,
  onair: (o: Record<string, unknown>): Fields => ({ token: o['botToken'], chats: [o['chatId']] }),
};

const discord = {
  apprise: `{'id': p.webhook_id, 'token': p.webhook_token, 'botname': p.user}`,
  onair: (o: Record<string, unknown>): Fields => {
    const [id, token] = new URL(String(o['url'])).pathname.split('/').slice(-2);
    return { id, token, botname: o['username'] ?? null };
  },
};

const ntfy = {
  apprise: `{'server': ('https://' if p.secure else 'http://') + p.host, 'topics': p.topics, 'user': p.user, 'password': p.password, 'priority': p.priority}`,
  onair: (o: Record<string, unknown>): Fields => ({
    server: o['server'],
    topics: [o['topic']],
    user: o['username'] ?? null,
    password: o['password'] ?? null,
    priority: o['priority'] ?? 'default',
  }),
};

const matrix = {
  // Apprise keeps a lone token in `user`; onair calls it accessToken.
  apprise: `{'scheme': 'https' if p.secure else 'http', 'host': p.host, 'user': p.user, 'password': p.password, 'rooms': p.rooms}`,
  onair: (o: Record<string, unknown>): Fields => {
    const url = new URL(String(o['homeserver']));
    return {
      scheme: url.protocol.slice(0, -1),
      host: url.hostname,
      user: o['user'] ?? o['accessToken'],
      password: o['password'] ?? null,
      rooms: [o['roomId']],
    };
  },
};

const ROWS: readonly Row[] = [
  { url: 'matrix://onair:secret@hs.example.org/!room:example.org', ...matrix },
  { url: 'matrixs://onair:secret@hs.example.org/#news:example.org', ...matrix },
  { url: 'matrixs://onair:secret@hs.example.org/%23news:example.org', ...matrix },
  { url: 'matrixs://syt_token@hs.example.org/!room:example.org', ...matrix },
  { url: 'json://hooks.example.org/path', ...json },
  { url: 'jsons://hooks.example.org:8443/in/hook', ...json },
  { url: 'json://hooks.example.org/path?+X-Token=abc&+X-Other=d%20e', ...json },
  { url: 'json://hooks.example.org/path?-source=onair&-n=2', ...json },
  { url: 'jsons://u:p@hooks.example.org/hook?method=PUT', ...json },
  { url: 'json://hooks.example.org/hook?method=put&+Authorization=Bearer%20x&+X-Sum=a+b', ...json },
  { url: 'mailto://user:pass@example.com', ...email },
  { url: 'mailtos://user:pass@example.com', ...email },
  { url: 'mailto://user:pass@example.com/alice@example.org', ...email },
  {
    url: 'mailto://user:pass@example.com/alice@example.org?cc=carol@example.org&bcc=bob@example.org',
    ...email,
  },
  { url: 'mailto://user:pass@gmail.com', ...email },
  { url: 'mailto://user:pass@outlook.com', ...email },
  { url: 'mailto://user:pass@hotmail.com', ...email },
  {
    url: 'mailtos://example.com?smtp=smtp.other.org&user=me&pass=pw&to=alice@example.org',
    ...email,
  },
  { url: 'mailto://example.com:2525?user=u@example.com&pass=p', ...email },
  { url: 'mailtos://example.com?from=bot@example.com&to=alice@example.org', ...email },
  { url: 'tgram://123456:ABC-def/987654', ...telegram },
  { url: 'tgram://bot123456:ABC-def/-100987654', ...telegram },
  { url: 'discord://1234567890/AbC-token_x', ...discord },
  { url: 'discord://onair-bot@1234567890/AbC-token_x', ...discord },
  { url: 'ntfy://ntfy.example.org/alerts', ...ntfy },
  { url: 'ntfys://user:pass@ntfy.example.org/alerts?priority=high', ...ntfy },
];

/** Apprise's view of every row, in one Python run. */
function appriseFields(rows: readonly Row[]): Fields[] {
  const script = [
    'import json, sys, apprise',
    'rows = json.load(sys.stdin)',
    'out = []',
    'for url, expr in rows:',
    '    p = apprise.Apprise.instantiate(url)',
    '    out.append(None if p is None else eval(expr, {"p": p}))',
    'print(json.dumps(out, default=sorted))',
  ].join('\n');
  const run = spawnSync('/usr/bin/python3', ['-c', script], {
    input: JSON.stringify(rows.map((r) => [r.url, r.apprise])),
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`apprise failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as Fields[];
}

describe('shorthand URLs agree with Apprise', () => {
  const http = new UndiciHttpClient({ connectionsPerOrigin: 1, userAgent: 'test' });
  const registry = notifiers({ http, timeoutMs: 1_000, now: () => 0 });
  const theirs = appriseFields(ROWS);

  it.each(ROWS.map((row, i) => [row.url, row, i] as const))('%s', (_url, row, i) => {
    const scheme = row.url.slice(0, row.url.indexOf(':'));
    const notifier = registry.find((n) => n.schemes.includes(scheme))!;
    const expanded = notifier.optionsFromUrl(row.url);
    expect(expanded).toMatchObject({ ok: true });
    const parsed = notifier.parseOptions(expanded.ok ? expanded.options : {});
    expect(parsed).toMatchObject({ ok: true });
    expect(theirs[i]).not.toBeNull();
    expect(row.onair(parsed.ok ? parsed.options : {})).toEqual(theirs[i]);
  });
});
