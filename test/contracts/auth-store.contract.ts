import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type {
  AuthStore,
  KeepaliveStore,
  StoredKeepalive,
  StoredSession,
  StoredToken,
  StoredUser,
} from '../../src/ports/store.js';

type AuthKeepaliveStore = AuthStore & KeepaliveStore & { close(): Promise<void> };

/** A store adapter under test: a fresh, empty store per test, reopenable (a restart). */
export interface AuthStoreContract {
  readonly name: string;
  readonly open: () => Promise<{
    readonly store: AuthKeepaliveStore;
    reopen(): Promise<AuthKeepaliveStore>;
    dispose(): Promise<void>;
  }>;
}

const T0 = Date.parse('2026-01-01T00:00:00Z');

const user = (name: string, extra: Partial<StoredUser> = {}): StoredUser => ({
  name,
  permissions: [{ action: 'read' }, { action: 'keepalive', channels: ['cam-*'] }],
  allowedIps: [],
  createdAt: T0,
  ...extra,
});
const token = (id: string, userName: string, extra: Partial<StoredToken> = {}): StoredToken => ({
  id,
  userName,
  name: null,
  hash: id.repeat(4),
  createdAt: T0,
  expiresAt: null,
  ...extra,
});
const session = (
  hash: string,
  userName: string,
  tokenId: string | null,
  expiresAt = T0 + 1_000,
): StoredSession => ({
  hash,
  userName,
  tokenId,
  createdAt: T0,
  expiresAt,
});
const keepalive = (id: string, extra: Partial<StoredKeepalive> = {}): StoredKeepalive => ({
  id,
  channelId: 'cam-1',
  creatorUser: 'relay',
  creatorIp: '127.0.0.1',
  record: false,
  mode: 'playlist',
  createdAt: T0,
  expiresAt: T0 + 60_000,
  ...extra,
});

/** The users, tokens, sessions and keepalives part of the store port; each adapter runs it in two lines. */
export function authStoreContract(contract: AuthStoreContract): void {
  describe(`auth and keepalive store contract: ${contract.name}`, () => {
    let opened: Awaited<ReturnType<AuthStoreContract['open']>>;
    let store: AuthKeepaliveStore;
    beforeEach(async () => {
      opened = await contract.open();
      store = opened.store;
    });
    afterEach(async () => {
      await store.close();
      await opened.dispose();
    });

    it('creates users once, reads, updates and lists them by name', async () => {
      expect(await store.insertUser(user('relay'))).toBe(true);
      expect(await store.insertUser(user('relay', { permissions: [] }))).toBe(false);
      expect(await store.insertUser(user('alice', { allowedIps: ['10.0.0.0/8'] }))).toBe(true);
      expect(await store.getUser('relay')).toStrictEqual(user('relay'));
      expect(await store.getUser('nobody')).toBeUndefined();
      expect(
        await store.updateUser('alice', { permissions: [{ action: 'admin' }], allowedIps: [] }),
      ).toBe(true);
      expect(await store.updateUser('nobody', { permissions: [], allowedIps: [] })).toBe(false);
      expect(
        (await store.listUsers()).map((u) => [u.name, u.permissions, u.allowedIps]),
      ).toStrictEqual([
        ['alice', [{ action: 'admin' }], []],
        ['relay', user('relay').permissions, []],
      ]);
    });

    it('keeps tokens per user; revoking one ends the sessions opened with it, and only those', async () => {
      await store.insertUser(user('relay'));
      await store.insertToken(token('t1', 'relay', { name: 'ci', expiresAt: T0 + 5 }));
      await store.insertToken(token('t2', 'relay', { createdAt: T0 + 1 }));
      await store.insertToken(token('t3', 'admin', { createdAt: T0 + 2 }));
      expect(await store.getToken('t1')).toStrictEqual(
        token('t1', 'relay', { name: 'ci', expiresAt: T0 + 5 }),
      );
      expect((await store.listTokens('relay')).map((t) => t.id)).toStrictEqual(['t1', 't2']);
      expect((await store.listTokens()).map((t) => t.id)).toStrictEqual(['t1', 't2', 't3']);
      await store.insertSession(session('s1', 'relay', 't1'));
      await store.insertSession(session('s2', 'relay', 't2'));
      expect(await store.deleteToken('t1')).toBe(true);
      expect(await store.deleteToken('t1')).toBe(false);
      expect(await store.getToken('t1')).toBeUndefined();
      expect(await store.getSession('s1')).toBeUndefined();
      expect(await store.getSession('s2')).toStrictEqual(session('s2', 'relay', 't2'));
    });

    it('deleting a user deletes its tokens and sessions, not other users’', async () => {
      await store.insertUser(user('relay'));
      await store.insertUser(user('alice'));
      await store.insertToken(token('t1', 'relay'));
      await store.insertToken(token('t2', 'alice'));
      await store.insertSession(session('s1', 'relay', null));
      await store.insertSession(session('s2', 'alice', 't2'));
      expect(await store.deleteUser('relay')).toBe(true);
      expect(await store.deleteUser('relay')).toBe(false);
      expect(await store.getUser('relay')).toBeUndefined();
      expect(await store.getToken('t1')).toBeUndefined();
      expect(await store.getSession('s1')).toBeUndefined();
      expect(await store.getToken('t2')).toBeDefined();
      expect(await store.getSession('s2')).toBeDefined();
    });

    it('deletes sessions that expired, at or before now', async () => {
      await store.insertSession(session('old', 'relay', null, T0 + 10));
      await store.insertSession(session('edge', 'relay', null, T0 + 20));
      await store.insertSession(session('new', 'relay', null, T0 + 30));
      expect(await store.deleteExpiredSessions(T0 + 20)).toBe(2);
      expect(await store.getSession('old')).toBeUndefined();
      expect(await store.getSession('new')).toBeDefined();
      expect(await store.deleteSession('new')).toBe(true);
      expect(await store.deleteSession('new')).toBe(false);
    });

    it('stores keepalives, lists them by creator and channel, deletes each once, and keeps them across a restart', async () => {
      await store.insertKeepalive(keepalive('k1', { record: true }));
      await store.insertKeepalive(keepalive('k2', { creatorUser: 'alice', createdAt: T0 + 1 }));
      await store.insertKeepalive(
        keepalive('k3', { channelId: 'cam-2', createdAt: T0 + 2, mode: 'full' }),
      );
      expect(await store.getKeepalive('k1')).toStrictEqual(keepalive('k1', { record: true }));
      expect(await store.getKeepalive('nope')).toBeUndefined();
      expect((await store.listKeepalives()).map((k) => k.id)).toStrictEqual(['k1', 'k2', 'k3']);
      expect((await store.listKeepalives({ creatorUser: 'relay' })).map((k) => k.id)).toStrictEqual(
        ['k1', 'k3'],
      );
      expect((await store.listKeepalives({ channelId: 'cam-1' })).map((k) => k.id)).toStrictEqual([
        'k1',
        'k2',
      ]);
      expect(await store.deleteKeepalive('k2')).toBe(true);
      expect(await store.deleteKeepalive('k2')).toBe(false);
      const again = await opened.reopen();
      try {
        expect(await again.listKeepalives()).toStrictEqual([
          keepalive('k1', { record: true }),
          keepalive('k3', { channelId: 'cam-2', createdAt: T0 + 2, mode: 'full' }),
        ]);
      } finally {
        await again.close();
      }
    });
  });
}
