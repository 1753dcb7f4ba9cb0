import { describe, expect, it } from 'vitest';
import {
  NOTIFICATIONS,
  notifierContract,
  type NotifierPeer,
} from '../../../../test/contracts/notifier.contract.js';
import { closedPort, silentServer } from '../../../../test/contracts/notifier-fakes.js';
import { TEST_TIMEOUT_MS } from '../../../../test/contracts/notifier-peers.js';
import { SmtpSink } from '../../../../test/fake-servers/smtp.server.js';
import type { Target } from '../../../ports/notifier.js';
import { EmailNotifier } from './email.notifier.js';

const target = (port: number, security: 'none' | 'starttls' = 'none', auth = false): Target => ({
  id: 'mail',
  type: 'email',
  options: {
    host: '127.0.0.1',
    port,
    security,
    from: 'onair@example.org',
    to: ['ops@example.org'],
    ...(auth ? { username: 'onair', password: 'smtp-secret-pw' } : {}),
  },
});

async function smtpPeer(): Promise<NotifierPeer & { sink: SmtpSink }> {
  const sink = await SmtpSink.start();
  const silent = await silentServer();
  return {
    sink,
    notifier: new EmailNotifier({ timeoutMs: TEST_TIMEOUT_MS }),
    target: target(sink.port),
    // The sink takes no AUTH, so only the failing targets carry a password.
    secrets: ['smtp-secret-pw'],
    unreachable: async () => target(await closedPort(), 'none', true),
    silent: async () => target(silent.port, 'none', true),
    taken: async () => {
      await new Promise((resolve) => setTimeout(resolve, 100));
      return sink.received.split('---------- MESSAGE FOLLOWS ----------').length - 1;
    },
    close: async () => {
      await silent.close();
      await sink.stop();
    },
  };
}

notifierContract('email', smtpPeer, { http: false });

describe('email notifier against aiosmtpd', () => {
  it('sends plain and HTML parts with the rendered subject', async () => {
    const peer = await smtpPeer();
    try {
      const result = await peer.notifier.send(NOTIFICATIONS.live, peer.target, {
        action: { kind: 'post' },
        templates: {},
        signal: new AbortController().signal,
      });
      expect(result).toMatchObject({ ok: true });
      await peer.sink.waitFor('Content-Type: text/html');
      expect(peer.sink.received).toContain('Subject: Alice <Live> is live');
      expect(peer.sink.received).toContain('Content-Type: text/plain');
    } finally {
      await peer.close();
    }
  });

  it('refuses to send in the clear when STARTTLS is required and not offered (not retryable)', async () => {
    const peer = await smtpPeer();
    try {
      const result = await peer.notifier.send(
        NOTIFICATIONS.live,
        target(peer.sink.port, 'starttls'),
        { action: { kind: 'post' }, templates: {}, signal: new AbortController().signal },
      );
      expect(result).toMatchObject({ ok: false, retryable: false });
    } finally {
      await peer.close();
    }
  });
});
