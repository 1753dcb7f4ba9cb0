import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Notification } from '../../src/core/notification.js';
import type {
  Notifier,
  RenderContext,
  SendContext,
  SendResult,
  Target,
} from '../../src/ports/notifier.js';

const T0 = Date.parse('2026-03-01T18:00:00Z');
const channel = {
  id: 'alice',
  platform: 'owncast',
  url: 'https://live.example.org/alice',
  name: 'Alice <Live>',
};

/** One notification per event kind, all from one session. */
export const NOTIFICATIONS: Readonly<Record<'live' | 'title' | 'offline', Notification>> = {
  live: {
    id: 'evLive0000000000000001',
    event: 'live',
    channel,
    title: 'Speedrun & chill',
    tags: ['games', 'speedrun'],
    startedAt: T0,
    at: T0 + 5_000,
  },
  title: {
    id: 'evTitle000000000000001',
    event: 'title',
    channel,
    title: 'Any% attempt #2',
    tags: ['games'],
    startedAt: T0,
    at: T0 + 1_800_000,
  },
  offline: {
    id: 'evOffline0000000000001',
    event: 'offline',
    channel,
    title: 'Any% attempt #2',
    tags: ['games'],
    startedAt: T0,
    at: T0 + 7_500_000,
  },
};

const post: RenderContext = { action: { kind: 'post' }, templates: {} };

/** What a notifier's test gives the suite: its notifier on a real or fake peer, and ways to make that peer misbehave. */
export interface NotifierPeer {
  /** Built with a short deadline (≤ 1 s) so the timeout case is quick. */
  readonly notifier: Notifier;
  readonly target: Target;
  /** Strings that must never show up in an error or detail (tokens, passwords, webhook URLs). */
  readonly secrets: readonly string[];
  /** The same target pointed at a port nothing listens on. */
  unreachable(): Promise<Target>;
  /** The same target pointed at a peer that accepts and never answers. */
  silent(): Promise<Target>;
  /** How many messages the peer has taken so far. */
  taken(): Promise<number>;
  /** HTTP peers: the next request gets this status (with an empty JSON body). */
  readonly failNext?: (status: number) => void;
  /** HTTP peers: the next request is rate-limited the provider's way; `expectedMs` is what the notifier must report. */
  readonly rateLimitNext?: () => { expectedMs: number };
  close(): Promise<void>;
}

/** retryable: timeouts, rate limits and server errors; not: the request or the credentials are wrong. */
const STATUS_TABLE: readonly [number, boolean][] = [
  [400, false],
  [401, false],
  [403, false],
  [404, false],
  [408, true],
  [429, true],
  [500, true],
  [502, true],
  [503, true],
];

/**
 * The shared notifier contract. Each notifier's test runs it in two lines:
 * `notifierContract('ntfy', () => ntfyPeer())`. Peers that are not HTTP (a real broker or SMTP
 * server cannot be told to answer 503) skip the status table and rate-limit cases with `http: false`.
 */
export function notifierContract(
  name: string,
  start: () => Promise<NotifierPeer>,
  { http = true }: { http?: boolean } = {},
): void {
  describe(`notifier contract: ${name}`, () => {
    let peer: NotifierPeer;
    const errors: string[] = [];
    const send = async (
      target: Target,
      n: Notification,
      context: Partial<SendContext> = {},
    ): Promise<SendResult> => {
      const result = await peer.notifier.send(n, target, {
        ...post,
        signal: new AbortController().signal,
        ...context,
      });
      errors.push(result.ok ? result.detail : result.error);
      return result;
    };

    beforeAll(async () => {
      peer = await start();
    });
    afterAll(async () => {
      await peer.close();
    });

    it('renders each event the same way every time (snapshot)', () => {
      for (const n of Object.values(NOTIFICATIONS)) {
        const rendered = peer.notifier.render(n, peer.target, post);
        expect(peer.notifier.render(n, peer.target, post)).toEqual(rendered);
        expect(rendered).toMatchSnapshot(n.event);
      }
      if (peer.notifier.supports.edit)
        expect(
          peer.notifier.render(NOTIFICATIONS.offline, peer.target, {
            ...post,
            action: { kind: 'edit', messageId: '4242' },
          }),
        ).toMatchSnapshot('offline edit');
      if (peer.notifier.supports.retract)
        expect(
          peer.notifier.render(NOTIFICATIONS.offline, peer.target, {
            ...post,
            action: { kind: 'retract', messageId: '4242' },
          }),
        ).toMatchSnapshot('offline retract');
    });

    it('renders without secrets', () => {
      const text = JSON.stringify(
        Object.values(NOTIFICATIONS).map((n) => peer.notifier.render(n, peer.target, post)),
      );
      for (const secret of peer.secrets) expect(text).not.toContain(secret);
    });

    it('delivers each event to the peer', async () => {
      const before = await peer.taken();
      for (const n of Object.values(NOTIFICATIONS)) {
        const result = await send(peer.target, n);
        expect(result, JSON.stringify(result)).toMatchObject({ ok: true });
      }
      expect(await peer.taken()).toBe(before + 3);
    });

    it('fails retryably when the peer is unreachable (the negative twin)', async () => {
      const result = await send(await peer.unreachable(), NOTIFICATIONS.live);
      expect(result).toMatchObject({ ok: false, retryable: true });
    });

    it('honours its deadline against a peer that never answers', async () => {
      const started = Date.now();
      const result = await send(await peer.silent(), NOTIFICATIONS.live);
      expect(result).toMatchObject({ ok: false, retryable: true });
      expect(Date.now() - started).toBeLessThan(3_000);
    });

    it('stops when aborted', async () => {
      const target = await peer.silent();
      const controller = new AbortController();
      const started = Date.now();
      setTimeout(() => {
        controller.abort();
      }, 50);
      const result = await send(target, NOTIFICATIONS.live, { signal: controller.signal });
      expect(result).toMatchObject({ ok: false, retryable: true });
      expect(Date.now() - started).toBeLessThan(400);
    });

    it.runIf(http)('maps provider statuses to retryable or not', async () => {
      for (const [status, retryable] of STATUS_TABLE) {
        peer.failNext!(status);
        const result = await send(peer.target, NOTIFICATIONS.live);
        expect(result, `HTTP ${status}`).toMatchObject({ ok: false, retryable });
        if (!result.ok) expect(result.error).toContain(String(status));
      }
    });

    it.runIf(http)('reports how long the provider asked to wait', async () => {
      const { expectedMs } = peer.rateLimitNext!();
      const result = await send(peer.target, NOTIFICATIONS.live);
      expect(result).toMatchObject({ ok: false, retryable: true, retryAfterMs: expectedMs });
    });

    it('never puts a secret into an error or detail text', () => {
      expect(errors.length).toBeGreaterThan(5);
      for (const text of errors)
        for (const secret of peer.secrets) expect(text).not.toContain(secret);
    });
  });
}
