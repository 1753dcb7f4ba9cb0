import { notifierContract } from '../../../../test/contracts/notifier.contract.js';
import { httpPeer } from '../../../../test/contracts/notifier-peers.js';
import { FakeTelegram } from '../../../../test/fake-servers/telegram.server.js';
import { TelegramNotifier } from './telegram.notifier.js';

notifierContract('telegram', () =>
  httpPeer({
    start: () => FakeTelegram.start(),
    notifier: (deps) => new TelegramNotifier(deps),
    target: (fake, url) => ({
      id: 'tg',
      type: 'telegram',
      options: { botToken: fake.botToken, chatId: fake.chatId, apiUrl: url, silent: false },
    }),
    secrets: (fake) => [fake.botToken],
    taken: (fake) => fake.chat.size,
    rateLimited: () => ({ answer: FakeTelegram.rateLimited(3), expectedMs: 3_000 }),
  }),
);
