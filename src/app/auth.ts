import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { formatDuration, type Instant } from '../core/time.js';
import type { Clock } from '../ports/clock.js';
import type { AuthStore, Permission, Store, StoredToken } from '../ports/store.js';
import { AppError } from './errors.js';
import { durationSchema, idSchema, zodIssues } from './inputs.js';
import {
  ADMIN_USER,
  IpAllowList,
  ipRangeSchema,
  isAdmin,
  userNameSchema,
  userPermissionsSchema,
} from './permissions.js';

/** Who is calling. */
export interface Principal {
  readonly name: string;
  readonly admin: boolean;
  readonly permissions: readonly Permission[];
  /** The API token presented (directly or through the session it opened); null for config tokens. */
  readonly tokenId: string | null;
}

/** A user of the config file (a contract: extend it, never rename). */
export const configUserSchema = z
  .strictObject({
    name: userNameSchema,
    token: z.string().min(8, 'must be at least 8 characters').optional(),
    /** `sha256:` and the SHA-256 of the token in hex or base64 (as mediamtx writes it). */
    tokenHash: z
      .string()
      .regex(
        /^sha256:(?:[0-9a-fA-F]{64}|[A-Za-z0-9+/]{43}=)$/,
        'must be "sha256:" and the SHA-256 of the token in hex or base64',
      )
      .optional(),
    permissions: userPermissionsSchema,
    allowedIps: z.array(ipRangeSchema).default([]),
  })
  .refine((user) => user.token === undefined || user.tokenHash === undefined, {
    message: 'give token or tokenHash, not both',
    path: ['tokenHash'],
  });
export type ConfigUser = z.output<typeof configUserSchema>;

const positiveInt = z.coerce.number({ error: 'must be a number' }).int().positive();

/** The `auth` section of the config file. */
export const authConfigSchema = z
  .strictObject({
    adminToken: z.string().min(8, 'must be at least 8 characters').optional(),
    users: z.array(configUserSchema).default([]),
    /** How long a web session lasts after `POST /api/v1/session`. */
    sessionTtl: durationSchema.prefault('7d'),
    /** The longest lifetime `POST /api/v1/tokens` may give a token (one without `ttl` never expires). */
    maxTokenTtl: durationSchema.prefault('365d'),
    /** API tokens one user may hold at once (expired ones do not count). */
    maxTokensPerUser: positiveInt.default(100),
    /** Web sessions one user may have open; opening one more ends the oldest. */
    maxSessionsPerUser: positiveInt.default(20),
    /** Failed authentications per client address before it is refused (429) until the window ends. */
    failedAuth: z
      .strictObject({
        maxFailures: positiveInt.default(10),
        window: durationSchema.prefault('15m'),
      })
      .prefault({}),
  })
  .superRefine((auth, ctx) => {
    const names = new Set<string>();
    const hashes = new Set<string>(
      auth.adminToken === undefined ? [] : [hashToken(auth.adminToken).toString('hex')],
    );
    auth.users.forEach((user, i) => {
      if (names.has(user.name))
        ctx.addIssue({
          code: 'custom',
          path: ['users', i, 'name'],
          message: `duplicate user "${user.name}"`,
        });
      names.add(user.name);
      const hash = configuredHash(user);
      if (hash === null) return;
      const key = hash.toString('hex');
      if (hashes.has(key))
        ctx.addIssue({
          code: 'custom',
          path: ['users', i, 'token'],
          message: 'the same token is given to another user',
        });
      hashes.add(key);
    });
  });
export type AuthConfig = z.output<typeof authConfigSchema>;

/** `POST /api/v1/users`. */
const userInputSchema = z.strictObject({
  name: userNameSchema,
  permissions: userPermissionsSchema,
  allowedIps: z.array(ipRangeSchema).default([]),
});

/** `PATCH /api/v1/users/:name`. */
const userChangeSchema = z.strictObject({
  permissions: userPermissionsSchema.optional(),
  allowedIps: z.array(ipRangeSchema).optional(),
});

/** `POST /api/v1/tokens`. */
const tokenInputSchema = z.strictObject({
  /** Whose token; only admins may name another user. Default: the caller. */
  user: idSchema.optional(),
  name: z.string().min(1).max(100).optional(),
  ttl: durationSchema.optional(),
});

export type UserSource = 'config' | 'api';

export interface UserInfo {
  readonly name: string;
  readonly permissions: readonly Permission[];
  readonly allowedIps: readonly string[];
  readonly source: UserSource;
  readonly createdAt: Instant | null;
}

interface ResolvedUser extends UserInfo {
  readonly ips: IpAllowList;
}

interface Watcher {
  readonly stillAllowed: () => Promise<boolean>;
  readonly end: () => void;
}

interface ConfiguredCredential {
  readonly hash: Buffer;
  readonly user: ResolvedUser;
}

export interface AuthOptions {
  readonly store: Pick<Store, 'getSetting' | 'setSetting'> & AuthStore;
  readonly clock: Clock;
  readonly sessionTtlMs: number;
}

const ADMIN_HASH_KEY = 'auth.adminTokenHash';
const API_TOKEN = /^onair_t_([0-9a-f]{16})_[A-Za-z0-9_-]{43}$/;
const ADMIN_PERMISSIONS: readonly Permission[] = [{ action: 'admin' }];

/**
 * Replaces the generated admin token with a new one, stored hashed, and returns it (to be shown
 * once): the way back for an admin who lost theirs. The old token stops working at the next start.
 */
export async function resetAdminToken(
  store: Pick<Store, 'setSetting'>,
): Promise<{ token: string; hash: Buffer }> {
  const token = `onair_${randomBytes(24).toString('base64url')}`;
  const hash = hashToken(token);
  await store.setSetting(ADMIN_HASH_KEY, hash.toString('hex'));
  return { token, hash };
}

export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

function configuredHash(user: ConfigUser): Buffer | null {
  if (user.token !== undefined) return hashToken(user.token);
  if (user.tokenHash === undefined) return null;
  const value = user.tokenHash.slice('sha256:'.length);
  return Buffer.from(value, value.length === 64 ? 'hex' : 'base64');
}

/**
 * Users, tokens and web sessions. Config users and the admin token live in memory; API users,
 * API tokens and sessions in the store. Only SHA-256 hashes of secrets are kept anywhere, and
 * hashes are compared in constant time.
 */
export class Auth {
  private readonly options: AuthOptions;
  private credentials: ConfiguredCredential[] = [];
  private configUsers = new Map<string, ResolvedUser>();
  private maxTokenTtlMs = 365 * 86_400_000;
  private maxTokensPerUser = 100;
  private maxSessionsPerUser = 20;
  /** Long-lived answers (event streams) by user name: checked again whenever that user changes. */
  private readonly watchers = new Map<string, Set<Watcher>>();

  constructor(options: AuthOptions) {
    this.options = options;
  }

  /**
   * Loads the config's admin token and users. Without an admin token, one is generated at first
   * start and only its hash stored; it is returned (to be shown once), else null.
   */
  async init(
    config: Pick<AuthConfig, 'adminToken' | 'users'> &
      Partial<Pick<AuthConfig, 'maxTokenTtl' | 'maxTokensPerUser' | 'maxSessionsPerUser'>>,
  ): Promise<string | null> {
    this.maxTokenTtlMs = config.maxTokenTtl ?? this.maxTokenTtlMs;
    this.maxTokensPerUser = config.maxTokensPerUser ?? this.maxTokensPerUser;
    this.maxSessionsPerUser = config.maxSessionsPerUser ?? this.maxSessionsPerUser;
    const admin: ResolvedUser = {
      name: ADMIN_USER,
      permissions: ADMIN_PERMISSIONS,
      allowedIps: [],
      source: 'config',
      createdAt: null,
      ips: new IpAllowList([]),
    };
    this.configUsers = new Map([[ADMIN_USER, admin]]);
    this.credentials = [];
    for (const user of config.users) {
      const resolved: ResolvedUser = {
        name: user.name,
        permissions: user.permissions,
        allowedIps: user.allowedIps,
        source: 'config',
        createdAt: null,
        ips: new IpAllowList(user.allowedIps),
      };
      this.configUsers.set(user.name, resolved);
      const hash = configuredHash(user);
      if (hash !== null) this.credentials.push({ hash, user: resolved });
    }
    let generated: string | null = null;
    let adminHash: Buffer;
    if (config.adminToken !== undefined) {
      adminHash = hashToken(config.adminToken);
    } else {
      const stored = await this.options.store.getSetting(ADMIN_HASH_KEY);
      if (stored !== undefined) {
        adminHash = Buffer.from(stored, 'hex');
      } else {
        ({ token: generated, hash: adminHash } = await resetAdminToken(this.options.store));
      }
    }
    this.credentials.unshift({ hash: adminHash, user: admin });
    return generated;
  }

  /** The caller behind a bearer token, or null (unknown, expired, revoked, or not from this address). */
  async authenticate(token: string, ip: string): Promise<Principal | null> {
    if (token === '') return null;
    const hash = hashToken(token);
    let configured: ResolvedUser | null = null;
    // Every configured hash is compared, so timing does not tell which (if any) matched.
    for (const credential of this.credentials) {
      if (timingSafeEqual(hash, credential.hash) && configured === null)
        configured = credential.user;
    }
    if (configured !== null) return principalOf(configured, ip, null);
    const id = API_TOKEN.exec(token)?.[1];
    if (id === undefined) return null;
    const stored = await this.options.store.getToken(id);
    if (!stored || !timingSafeEqual(hash, Buffer.from(stored.hash, 'hex')) || this.expired(stored))
      return null;
    const user = await this.resolveUser(stored.userName);
    return user && principalOf(user, ip, stored.id);
  }

  /** The caller behind a session cookie's value, or null. */
  async authenticateSession(value: string, ip: string): Promise<Principal | null> {
    if (value === '') return null;
    const session = await this.options.store.getSession(hashToken(value).toString('hex'));
    if (!session) return null;
    if (session.expiresAt <= this.options.clock.now()) {
      await this.options.store.deleteSession(session.hash);
      return null;
    }
    // A session never outlives the token it was opened with (expired or revoked).
    if (session.tokenId !== null) {
      const token = await this.options.store.getToken(session.tokenId);
      if (!token || this.expired(token)) {
        await this.options.store.deleteSession(session.hash);
        return null;
      }
    }
    const user = await this.resolveUser(session.userName);
    return user && principalOf(user, ip, session.tokenId);
  }

  /** Opens a web session for whoever `token` belongs to; returns the cookie value (shown once) or null. */
  async openSession(
    token: string,
    ip: string,
  ): Promise<{ value: string; expiresAt: Instant; ttlMs: number; principal: Principal } | null> {
    const principal = await this.authenticate(token, ip);
    if (!principal) return null;
    const now = this.options.clock.now();
    await this.options.store.deleteExpiredSessions(now);
    const value = randomBytes(32).toString('base64url');
    const stored =
      principal.tokenId === null ? undefined : await this.options.store.getToken(principal.tokenId);
    // A session never outlives the token it was opened with.
    const expiresAt = Math.min(
      now + this.options.sessionTtlMs,
      stored?.expiresAt ?? Number.POSITIVE_INFINITY,
    );
    await this.options.store.insertSession({
      hash: hashToken(value).toString('hex'),
      userName: principal.name,
      tokenId: principal.tokenId,
      createdAt: now,
      expiresAt,
    });
    // A quota that never refuses a login: the oldest sessions of this user end instead.
    await this.options.store.trimSessions(principal.name, this.maxSessionsPerUser);
    return { value, expiresAt, ttlMs: expiresAt - now, principal };
  }

  async closeSession(value: string): Promise<void> {
    const hash = hashToken(value).toString('hex');
    const session = await this.options.store.getSession(hash);
    await this.options.store.deleteSession(hash);
    if (session) await this.recheck(session.userName);
  }

  /**
   * Registers a long-lived answer of `userName` (an event stream): whenever that user's tokens,
   * sessions or permissions change, `stillAllowed` is asked again and `end` called when it says
   * no (or fails). Returns the function that unregisters it.
   */
  watch(userName: string, stillAllowed: () => Promise<boolean>, end: () => void): () => void {
    const watcher: Watcher = { stillAllowed, end };
    const set = this.watchers.get(userName) ?? new Set<Watcher>();
    set.add(watcher);
    this.watchers.set(userName, set);
    return () => {
      set.delete(watcher);
      if (set.size === 0 && this.watchers.get(userName) === set) this.watchers.delete(userName);
    };
  }

  /** Ends the watched answers of `userName` that are no longer allowed. */
  private async recheck(userName: string): Promise<void> {
    const set = this.watchers.get(userName);
    if (!set) return;
    for (const watcher of [...set]) {
      const allowed = await watcher.stillAllowed().catch(() => false);
      if (allowed) continue;
      set.delete(watcher);
      watcher.end();
    }
    if (set.size === 0 && this.watchers.get(userName) === set) this.watchers.delete(userName);
  }

  async listUsers(): Promise<UserInfo[]> {
    const api = (await this.options.store.listUsers()).filter((u) => !this.configUsers.has(u.name));
    const all: UserInfo[] = [
      ...[...this.configUsers.values()].map(info),
      ...api.map((u) => ({ ...u, source: 'api' as const })),
    ];
    return all.sort((a, b) => a.name.localeCompare(b.name));
  }

  async getUser(name: string): Promise<UserInfo> {
    const user = await this.resolveUser(name);
    if (!user) throw new AppError('notFound', `no user "${name}"`);
    return info(user);
  }

  async createUser(body: unknown): Promise<UserInfo> {
    const input = parse(userInputSchema, body);
    if (this.configUsers.has(input.name))
      throw new AppError('conflict', `user "${input.name}" is defined in the config file`);
    const user = { ...input, createdAt: this.options.clock.now() };
    if (!(await this.options.store.insertUser(user)))
      throw new AppError('conflict', `user "${input.name}" already exists`);
    return { ...user, source: 'api' };
  }

  async updateUser(name: string, body: unknown): Promise<UserInfo> {
    const change = parse(userChangeSchema, body);
    if (this.configUsers.has(name))
      throw new AppError(
        'conflict',
        `user "${name}" is defined in the config file; change it there`,
      );
    const existing = await this.options.store.getUser(name);
    if (!existing) throw new AppError('notFound', `no user "${name}"`);
    const next = {
      permissions: change.permissions ?? existing.permissions,
      allowedIps: change.allowedIps ?? existing.allowedIps,
    };
    if (!(await this.options.store.updateUser(name, next)))
      throw new AppError('notFound', `no user "${name}"`);
    await this.recheck(name);
    return { ...existing, ...next, source: 'api' };
  }

  /** Deletes an API user with its tokens and sessions; its keepalives stay until removed or expired. */
  async deleteUser(name: string): Promise<void> {
    if (this.configUsers.has(name))
      throw new AppError(
        'conflict',
        `user "${name}" is defined in the config file; remove it there`,
      );
    if (!(await this.options.store.deleteUser(name)))
      throw new AppError('notFound', `no user "${name}"`);
    await this.recheck(name);
  }

  /** Creates an API token; the returned `secret` is the only time the token is ever shown. */
  async createToken(
    caller: Principal,
    body: unknown,
  ): Promise<{ token: StoredToken; secret: string }> {
    const input = parse(tokenInputSchema, body);
    const userName = input.user ?? caller.name;
    if (userName !== caller.name && !caller.admin)
      throw new AppError('forbidden', 'only an admin may create tokens for another user');
    if (!(await this.resolveUser(userName)))
      throw new AppError('notFound', `no user "${userName}"`);
    if (input.ttl !== undefined && input.ttl > this.maxTokenTtlMs)
      throw AppError.invalid([
        {
          path: 'ttl',
          message: `must be at most ${formatDuration(this.maxTokenTtlMs)} (auth.maxTokenTtl); leave it out for a token that never expires`,
        },
      ]);
    const held = (await this.options.store.listTokens(userName)).filter((t) => !this.expired(t));
    if (held.length >= this.maxTokensPerUser)
      throw new AppError(
        'conflict',
        `user "${userName}" holds ${held.length} tokens, the most allowed (auth.maxTokensPerUser): revoke one first`,
      );
    const id = randomBytes(8).toString('hex');
    const secret = `onair_t_${id}_${randomBytes(32).toString('base64url')}`;
    const now = this.options.clock.now();
    const token: StoredToken = {
      id,
      userName,
      name: input.name ?? null,
      hash: hashToken(secret).toString('hex'),
      createdAt: now,
      expiresAt: input.ttl === undefined ? null : now + input.ttl,
    };
    await this.options.store.insertToken(token);
    return { token, secret };
  }

  /** The caller's own tokens; every token for an admin. */
  listTokens(caller: Principal): Promise<StoredToken[]> {
    return this.options.store.listTokens(caller.admin ? undefined : caller.name);
  }

  /** Revokes a token and ends the sessions opened with it: only its user or an admin may. */
  async revokeToken(caller: Principal, id: string): Promise<void> {
    const token = await this.options.store.getToken(id);
    if (!token) throw new AppError('notFound', `no token "${id}"`);
    if (token.userName !== caller.name && !caller.admin)
      throw new AppError('forbidden', 'only the token’s user or an admin may revoke it');
    if (!(await this.options.store.deleteToken(id)))
      throw new AppError('notFound', `no token "${id}"`);
    await this.recheck(token.userName);
  }

  private expired(token: StoredToken): boolean {
    return token.expiresAt !== null && token.expiresAt <= this.options.clock.now();
  }

  /** Config users shadow API users of the same name. */
  private async resolveUser(name: string): Promise<ResolvedUser | null> {
    const configured = this.configUsers.get(name);
    if (configured) return configured;
    const stored = await this.options.store.getUser(name);
    return stored ? { ...stored, source: 'api', ips: new IpAllowList(stored.allowedIps) } : null;
  }
}

function principalOf(user: ResolvedUser, ip: string, tokenId: string | null): Principal | null {
  if (!user.ips.allows(ip)) return null;
  return {
    name: user.name,
    admin: isAdmin(user.permissions),
    permissions: user.permissions,
    tokenId,
  };
}

function info(user: ResolvedUser): UserInfo {
  return {
    name: user.name,
    permissions: user.permissions,
    allowedIps: user.allowedIps,
    source: user.source,
    createdAt: user.createdAt,
  };
}

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (!result.success) throw AppError.invalid(zodIssues(result.error));
  return result.data;
}
