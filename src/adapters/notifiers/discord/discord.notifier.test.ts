import { notifierContract } from '../../../../test/contracts/notifier.contract.js';
import { httpPeer } from '../../../../test/contracts/notifier-peers.js';
import { FakeDiscord } from '../../../../test/fake-servers/discord.server.js';
import { DiscordNotifier } from './discord.notifier.js';

notifierContract('discord', () =>
  httpPeer({
    start: () => FakeDiscord.start(),
    notifier: (deps) => new DiscordNotifier(deps),
    target: (fake, url) => ({
      id: 'chat',
      type: 'discord',
      options: { url: `${url}/api/webhooks/${fake.webhookId}/${fake.token}`, username: 'onair' },
    }),
    secrets: (fake) => [fake.token],
    taken: (fake) => fake.messages.length,
    // The body's float seconds win over the header's rounded-up whole seconds.
    rateLimited: () => ({ answer: FakeDiscord.rateLimited(1.25), expectedMs: 1_250 }),
  }),
);
