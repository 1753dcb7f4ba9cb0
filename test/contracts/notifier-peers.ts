import { UndiciHttpClient } from '../../src/adapters/http-client/undici-http-client.js';
import type { NotifierDeps } from '../../src/adapters/notifiers/deps.js';
import type { Notifier, Target } from '../../src/ports/notifier.js';
import { closedPort, type Answer, type FakeProvider } from './notifier-fakes.js';
import type { NotifierPeer } from './notifier.contract.js';

/** Short, so the deadline case takes well under a second. */
export const TEST_TIMEOUT_MS = 400;

/** Real HTTP client with a short deadline, as the composition root would build it. */
export function testDeps(): NotifierDeps & { close(): Promise<void> } {
  const http = new UndiciHttpClient({ connectionsPerOrigin: 4, userAgent: 'onair-test' });
  return { http, timeoutMs: TEST_TIMEOUT_MS, now: () => Date.now(), close: () => http.close() };
}

/** A contract peer over an HTTP fake: a second instance of the same fake plays the silent peer. */
export async function httpPeer<F extends FakeProvider>(options: {
  start: () => Promise<F>;
  notifier: (deps: NotifierDeps) => Notifier;
  /** The target pointed at a base URL (the fake's, or another). */
  target: (fake: F, baseUrl: string) => Target;
  secrets: (fake: F) => string[];
  taken: (fake: F) => number;
  rateLimited: () => { answer: Answer; expectedMs: number };
}): Promise<NotifierPeer & { fake: F }> {
  const deps = testDeps();
  const fake = await options.start();
  const silent = await options.start();
  silent.hang();
  return {
    fake,
    notifier: options.notifier(deps),
    target: options.target(fake, fake.url),
    secrets: options.secrets(fake),
    unreachable: async () => options.target(fake, `http://127.0.0.1:${await closedPort()}`),
    silent: async () => options.target(fake, silent.url),
    taken: async () => options.taken(fake),
    failNext: (status) => {
      fake.failNext({ status, body: {} });
    },
    rateLimitNext: () => {
      const { answer, expectedMs } = options.rateLimited();
      fake.failNext(answer);
      return { expectedMs };
    },
    close: async () => {
      await fake.close();
      await silent.close();
      await deps.close();
    },
  };
}
