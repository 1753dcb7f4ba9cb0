import { randomBytes } from 'node:crypto';
import type { Instant } from '../../core/time.js';
import type { Clock } from '../../ports/clock.js';
import type { Permission, ScheduleStore } from '../../ports/store.js';
import type { Auth, Principal } from '../auth.js';
import { hashToken } from '../auth.js';
import { AppError } from '../errors.js';
import { allows, IpAllowList } from '../permissions.js';

export interface CalendarKeyInfo {
  readonly exists: boolean;
  readonly createdAt: Instant | null;
}

export interface CalendarKeysDeps {
  readonly store: Pick<
    ScheduleStore,
    'putCalendarKey' | 'getCalendarKey' | 'findCalendarKey' | 'deleteCalendarKey'
  >;
  readonly auth: Pick<Auth, 'getUser'>;
  readonly clock: Clock;
}

const KEY = /^onair_c_[A-Za-z0-9_-]{43}$/;

/**
 * Per-user calendar keys: a secret a calendar app puts in the subscription URL
 * (`calendar.ics?key=`), because it cannot send a bearer token. A key only ever reads, and only
 * what its user may read; one key per user (a new one replaces the old); only its SHA-256 is
 * kept, so it is shown once, when created.
 */
export class CalendarKeys {
  private readonly deps: CalendarKeysDeps;

  constructor(deps: CalendarKeysDeps) {
    this.deps = deps;
  }

  /** Creates (or replaces) the caller's key; the secret is returned this once. */
  async create(caller: Principal): Promise<{ secret: string; createdAt: Instant }> {
    const secret = `onair_c_${randomBytes(32).toString('base64url')}`;
    const createdAt = this.deps.clock.now();
    await this.deps.store.putCalendarKey({
      userName: caller.name,
      hash: hashToken(secret).toString('hex'),
      createdAt,
    });
    return { secret, createdAt };
  }

  async show(caller: Principal): Promise<CalendarKeyInfo> {
    const key = await this.deps.store.getCalendarKey(caller.name);
    return { exists: key !== undefined, createdAt: key?.createdAt ?? null };
  }

  async revoke(caller: Principal): Promise<void> {
    if (!(await this.deps.store.deleteCalendarKey(caller.name)))
      throw new AppError('notFound', 'no calendar key to revoke');
  }

  /**
   * The read-only caller behind a key, or null (malformed, revoked, replaced, its user gone, or
   * not allowed from this address).
   */
  async authenticate(secret: string, ip: string): Promise<Principal | null> {
    if (!KEY.test(secret)) return null;
    const key = await this.deps.store.findCalendarKey(hashToken(secret).toString('hex'));
    if (!key) return null;
    let user;
    try {
      user = await this.deps.auth.getUser(key.userName);
    } catch {
      return null;
    }
    if (!new IpAllowList(user.allowedIps).allows(ip)) return null;
    return {
      name: user.name,
      admin: false,
      permissions: readOnly(user.permissions),
      tokenId: null,
    };
  }
}

/** The read grants that `permissions` imply (admin and manage include read), and nothing else. */
export function readOnly(permissions: readonly Permission[]): Permission[] {
  return permissions
    .filter((p) => allows([p], 'read', 'some'))
    .map((p) =>
      p.channels === undefined || p.action === 'admin'
        ? { action: 'read' as const }
        : { action: 'read' as const, channels: p.channels },
    );
}
