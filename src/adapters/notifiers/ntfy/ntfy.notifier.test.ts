import { notifierContract } from '../../../../test/contracts/notifier.contract.js';
import { httpPeer } from '../../../../test/contracts/notifier-peers.js';
import { FakeNtfy } from '../../../../test/fake-servers/ntfy.server.js';
import { NtfyNotifier } from './ntfy.notifier.js';

notifierContract('ntfy', () =>
  httpPeer({
    start: () => FakeNtfy.start({ token: 'tk_ntfysecret' }),
    notifier: (deps) => new NtfyNotifier(deps),
    target: (_fake, url) => ({
      id: 'phone',
      type: 'ntfy',
      options: { server: url, topic: 'alerts', token: 'tk_ntfysecret' },
    }),
    secrets: () => ['tk_ntfysecret'],
    taken: (fake) => fake.requests.filter((r) => r.method === 'POST').length,
    rateLimited: () => ({
      answer: {
        status: 429,
        headers: { 'retry-after': '7' },
        body: { code: 42901, http: 429, error: 'limit reached: too many requests' },
      },
      expectedMs: 7_000,
    }),
  }),
);
