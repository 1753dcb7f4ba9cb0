import { BlockList, isIP } from 'node:net';
import { z } from 'zod';
import type { Permission, PermissionAction } from '../ports/store.js';
import { idSchema } from './inputs.js';

export const ACTIONS = [
  'read',
  'manage',
  'keepalive',
  'record',
  'admin',
] as const satisfies readonly PermissionAction[];

/** `*`, a channel id, or an id prefix followed by `*` (`cam-*`). */
const channelPatternSchema = z
  .string({ error: 'must be a string' })
  .regex(
    /^(?:\*|[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\*?)$/,
    'must be `*`, a channel id, or a prefix ending in `*` like `cam-*`',
  );

export const permissionSchema = z
  .strictObject({
    action: z.enum(ACTIONS, { error: `must be one of ${ACTIONS.join(', ')}` }),
    channels: z.array(channelPatternSchema).min(1).optional(),
  })
  // Absent, not `undefined`: stored and compared as written.
  .transform((p): Permission =>
    p.channels === undefined ? { action: p.action } : { action: p.action, channels: p.channels },
  );

/** An IP address or a CIDR block (`10.0.0.0/8`, `::1`, `fd00::/8`). */
export const ipRangeSchema = z
  .string({ error: 'must be a string' })
  .refine((text) => parseIpRange(text) !== null, 'must be an IP address or a CIDR block');

/** The name under which the configured (or generated) admin token acts. */
export const ADMIN_USER = 'admin';

export const userNameSchema = idSchema.refine(
  (name) => name !== ADMIN_USER,
  `"${ADMIN_USER}" is reserved for the admin token`,
);

export const userPermissionsSchema = z.array(permissionSchema, {
  error: 'must be a list of { action, channels? }',
});

/**
 * Grant implications: `admin` allows every action; `manage` allows `read` (you cannot manage
 * what you cannot see). Nothing else implies anything, so a keepalive-only user cannot list channels.
 */
function grants(held: PermissionAction, wanted: PermissionAction): boolean {
  return held === wanted || held === 'admin' || (held === 'manage' && wanted === 'read');
}

export function channelMatches(pattern: string, channelId: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('*')) return channelId.startsWith(pattern.slice(0, -1));
  return pattern === channelId;
}

function coversAll(permission: Permission): boolean {
  return permission.channels === undefined || permission.channels.includes('*');
}

/**
 * Whether `permissions` allow `action`:
 * - on one channel (`{ channel }`);
 * - on every channel when it is `'all'` (listings and creation, which cannot be filtered per channel);
 * - on at least one channel when it is `'some'` (the handler checks the exact channel later).
 */
export type ChannelScope = { readonly channel: string } | 'all' | 'some';

export function allows(
  permissions: readonly Permission[],
  action: PermissionAction,
  scope: ChannelScope,
): boolean {
  return permissions.some((p) => {
    if (!grants(p.action, action)) return false;
    // Admin is global by definition: a channel-scoped admin grant would be a contradiction.
    if (p.action === 'admin') return coversAll(p);
    if (scope === 'some') return true;
    if (scope === 'all') return coversAll(p);
    return (
      coversAll(p) || (p.channels ?? []).some((pattern) => channelMatches(pattern, scope.channel))
    );
  });
}

export function isAdmin(permissions: readonly Permission[]): boolean {
  return allows(permissions, 'admin', 'all');
}

interface IpRange {
  readonly address: string;
  readonly prefix: number | null;
  readonly type: 'ipv4' | 'ipv6';
}

function parseIpRange(text: string): IpRange | null {
  const [address = '', prefix, ...rest] = text.trim().split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return null;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (prefix === undefined) return { address, prefix: null, type };
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > (family === 4 ? 32 : 128)) return null;
  return { address, prefix: Number(prefix), type };
}

/** Matches client addresses against a user's allowed IPs; an empty list allows every address. */
export class IpAllowList {
  private readonly list: BlockList | null;

  constructor(ranges: readonly string[]) {
    if (ranges.length === 0) {
      this.list = null;
      return;
    }
    const list = new BlockList();
    for (const text of ranges) {
      const range = parseIpRange(text);
      // Ranges are validated at the boundary (config, API); an invalid one here is a bug.
      if (range === null) throw new Error(`invalid IP range ${JSON.stringify(text)}`);
      if (range.prefix === null) list.addAddress(range.address, range.type);
      else list.addSubnet(range.address, range.prefix, range.type);
    }
    this.list = list;
  }

  allows(ip: string): boolean {
    if (this.list === null) return true;
    // Dual-stack sockets report IPv4 clients as `::ffff:a.b.c.d`.
    const plain = ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
    const family = isIP(plain);
    if (family === 0) return false;
    return this.list.check(plain, family === 4 ? 'ipv4' : 'ipv6');
  }
}
