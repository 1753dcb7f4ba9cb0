import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UndiciHttpClient } from '../../src/adapters/http-client/undici-http-client.js';
import type { PlatformHttp } from '../../src/adapters/platforms/shared.js';
import type { Channel, Observation } from '../../src/core/model.js';
import type { PlatformAdapter } from '../../src/ports/platform.js';

/** A fake platform a contract test can script. */
export interface ScriptedPlatform {
  /** The channel URL that points at the fake. */
  readonly channelUrl: string;
  goLive(title: string): void;
  goOffline(): void;
  /** Misbehave in each way the contract covers; null restores normal service. */
  fault(kind: 'error' | 'hang' | 'garbage' | 'huge' | null): void;
  close(): Promise<void>;
}

export interface PlatformContract {
  readonly name: string;
  readonly create: (deps: PlatformHttp) => PlatformAdapter;
  readonly startFake: () => Promise<ScriptedPlatform>;
  /** Whether the platform reports titles (HLS does not). */
  readonly reportsTitle: boolean;
  /** URLs the adapter must refuse at config time. */
  readonly badUrls: readonly string[];
}

/**
 * What every platform adapter promises: live and offline as the platform says, and every kind of
 * misbehaviour a failure value — never an exception, never a false offline.
 */
export function platformContract(contract: PlatformContract): void {
  describe(`platform contract: ${contract.name}`, () => {
    let fake: ScriptedPlatform;
    let http: UndiciHttpClient;
    let adapter: PlatformAdapter;
    let channel: Channel;

    beforeAll(async () => {
      fake = await contract.startFake();
      http = new UndiciHttpClient({ connectionsPerOrigin: 4, userAgent: 'onair-test' });
      adapter = contract.create({ http, timeoutMs: 300, maxBytes: 256 * 1024 });
      channel = {
        id: 'c1',
        platform: adapter.id,
        url: fake.channelUrl,
        name: null,
        intervalMs: null,
        options: {},
      };
    });
    afterAll(async () => {
      await fake.close();
      await http.close();
    });

    const probe = (): Promise<Observation> =>
      adapter.probe(channel, { wasLive: false }, AbortSignal.timeout(5_000));

    it('reports live, with the title where the platform has one', async () => {
      fake.fault(null);
      fake.goLive('Night build');
      const obs = await probe();
      expect(obs.kind).toBe('live');
      if (contract.reportsTitle && obs.kind === 'live') expect(obs.title).toBe('Night build');
    });

    it('reports offline', async () => {
      fake.fault(null);
      fake.goOffline();
      expect((await probe()).kind).toBe('offline');
    });

    it.each(['error', 'hang', 'garbage', 'huge'] as const)(
      'turns a platform that answers %s into a failure, never offline',
      async (kind) => {
        fake.goLive('x');
        fake.fault(kind);
        const obs = await probe();
        expect(obs.kind).toBe('failed');
        fake.fault(null);
      },
    );

    it('turns an unreachable host into a failure', async () => {
      const obs = await adapter.probe(
        { ...channel, url: 'http://127.0.0.1:1/x' },
        { wasLive: false },
        AbortSignal.timeout(5_000),
      );
      expect(obs).toMatchObject({ kind: 'failed' });
    });

    it('validates URLs', () => {
      expect(adapter.validateUrl(fake.channelUrl)).toBeNull();
      for (const bad of contract.badUrls) expect(adapter.validateUrl(bad), bad).not.toBeNull();
    });
  });
}
