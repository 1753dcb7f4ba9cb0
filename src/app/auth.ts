import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Store } from '../ports/store.js';

/** Who is calling. */
export interface Principal {
  readonly name: string;
  readonly admin: boolean;
}

const ADMIN_HASH_KEY = 'auth.adminTokenHash';

export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/**
 * Bearer-token authentication. The admin token comes from config; without one, a token is
 * generated at first start, shown once, and only its hash is stored.
 */
export class Auth {
  private adminHash: Buffer | null = null;
  private readonly store: Store;

  constructor(store: Store) {
    this.store = store;
  }

  /** Returns the generated token when one was created now (to print once), else null. */
  async init(configuredAdminToken: string | undefined): Promise<string | null> {
    if (configuredAdminToken !== undefined) {
      this.adminHash = hashToken(configuredAdminToken);
      return null;
    }
    const stored = await this.store.getSetting(ADMIN_HASH_KEY);
    if (stored !== undefined) {
      this.adminHash = Buffer.from(stored, 'hex');
      return null;
    }
    const token = `onair_${randomBytes(24).toString('base64url')}`;
    this.adminHash = hashToken(token);
    await this.store.setSetting(ADMIN_HASH_KEY, this.adminHash.toString('hex'));
    return token;
  }

  authenticate(token: string): Principal | null {
    if (this.adminHash === null || token === '') return null;
    return timingSafeEqual(hashToken(token), this.adminHash) ? { name: 'admin', admin: true } : null;
  }
}
