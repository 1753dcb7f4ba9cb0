import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Notification } from '../../../core/notification.js';
import type { Target } from '../../../ports/notifier.js';
import { FakeHomeserver } from '../../../../test/fake-servers/matrix.server.js';
import { UndiciHttpClient } from '../../http-client/undici-http-client.js';
import { MatrixNotifier } from './matrix.notifier.js';

const notification = (id: string): Notification => ({
  id,
  event: 'live',
  channel: { id: 'alice', platform: 'owncast', url: 'https://live.example.org', name: 'Alice' },
  title: 'Hello',
  tags: [],
  startedAt: 0,
  at: 0,
});

/** Apprise's `matrix://user:password@host/…`: onair logs in, keeps the token, logs in again on 401. */
describe('matrix notifier with a password login', () => {
  let hs: FakeHomeserver;
  let http: UndiciHttpClient;
  let notifier: MatrixNotifier;

  beforeEach(async () => {
    hs = await FakeHomeserver.start();
    hs.addJoinedRoom('!news:fake.local', '#news:fake.local');
    http = new UndiciHttpClient({ connectionsPerOrigin: 2, userAgent: 'test' });
    notifier = new MatrixNotifier({ http, timeoutMs: 10_000, now: () => 0 });
  });
  afterEach(async () => {
    await http.close();
    await hs.close();
  });

  function target(url: string): Target {
    const expanded = notifier.optionsFromUrl(url);
    if (!expanded.ok) throw new Error(JSON.stringify(expanded.issues));
    const parsed = notifier.parseOptions(expanded.options);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    return { id: 'room', type: 'matrix', options: parsed.options };
  }

  const send = (t: Target, id: string) =>
    notifier.send(notification(id), t, {
      action: { kind: 'post' },
      templates: {},
      signal: new AbortController().signal,
    });

  it('logs in once, posts to an alias room, and logs in again when the token dies', async () => {
    const host = new URL(hs.url).host;
    const t = target(`matrix://onair:${hs.password}@${host}/%23news:fake.local`);
    expect(t.options).toMatchObject({ user: 'onair', roomId: '#news:fake.local' });
    expect(await send(t, 'e1')).toMatchObject({ ok: true });
    expect(await send(t, 'e2')).toMatchObject({ ok: true });
    expect(hs.loginCount).toBe(1);
    hs.expireTokens();
    expect(await send(t, 'e3')).toMatchObject({ ok: true });
    expect(hs.loginCount).toBe(2);
    expect(hs.botMessages('!news:fake.local').map((m) => m.body.split('\n')[0])).toEqual([
      '🔴 Alice is live: Hello',
      '🔴 Alice is live: Hello',
      '🔴 Alice is live: Hello',
    ]);
  });

  it('reports a wrong password as a failure, and an unknown alias too', async () => {
    const host = new URL(hs.url).host;
    expect(await send(target(`matrix://onair:wrong@${host}/!news:fake.local`), 'e1')).toMatchObject(
      { ok: false, error: expect.stringContaining('login answered HTTP 403') },
    );
    expect(
      await send(target(`matrix://onair:${hs.password}@${host}/%23nope:fake.local`), 'e1'),
    ).toMatchObject({ ok: false, error: expect.stringContaining('404') });
    expect(hs.botMessages('!news:fake.local')).toEqual([]);
  });
});
