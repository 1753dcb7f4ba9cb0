import { notifierContract } from '../../../../test/contracts/notifier.contract.js';
import { httpPeer } from '../../../../test/contracts/notifier-peers.js';
import { FakeMatrix } from '../../../../test/fake-servers/matrix.server.js';
import { MatrixNotifier } from './matrix.notifier.js';

notifierContract('matrix', () =>
  httpPeer({
    start: () => FakeMatrix.start(),
    notifier: (deps) => new MatrixNotifier(deps),
    target: (fake, url) => ({
      id: 'room',
      type: 'matrix',
      options: {
        homeserver: url,
        accessToken: fake.accessToken,
        roomId: fake.roomId,
        msgtype: 'm.notice',
      },
    }),
    secrets: (fake) => [fake.accessToken],
    taken: (fake) => fake.events.length,
    // The Retry-After header is preferred over the deprecated retry_after_ms.
    rateLimited: () => ({ answer: FakeMatrix.rateLimited(2_500, 4), expectedMs: 4_000 }),
  }),
);
