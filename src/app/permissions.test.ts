import { describe, expect, it } from 'vitest';
import type { Permission, PermissionAction } from '../ports/store.js';
import {
  allows,
  channelMatches,
  IpAllowList,
  isAdmin,
  permissionSchema,
  type ChannelScope,
} from './permissions.js';

describe('channelMatches', () => {
  it.each([
    ['*', 'anything', true],
    ['cam-1', 'cam-1', true],
    ['cam-1', 'cam-10', false],
    ['cam-*', 'cam-10', true],
    ['cam-*', 'cam-', true],
    ['cam-*', 'studio', false],
    ['cam-*', 'xcam-1', false],
  ])('%s vs %s → %s', (pattern, id, expected) => {
    expect(channelMatches(pattern, id)).toBe(expected);
  });
});

describe('allows', () => {
  const cases: [string, Permission[], PermissionAction, ChannelScope, boolean][] = [
    ['no permissions', [], 'read', { channel: 'a' }, false],
    ['global read on a channel', [{ action: 'read' }], 'read', { channel: 'a' }, true],
    ['global read on all', [{ action: 'read' }], 'read', 'all', true],
    ['read does not manage', [{ action: 'read' }], 'manage', { channel: 'a' }, false],
    [
      'manage implies read',
      [{ action: 'manage', channels: ['a'] }],
      'read',
      { channel: 'a' },
      true,
    ],
    ['read does not imply keepalive', [{ action: 'read' }], 'keepalive', { channel: 'a' }, false],
    ['keepalive does not imply read', [{ action: 'keepalive' }], 'read', { channel: 'a' }, false],
    ['admin implies everything', [{ action: 'admin' }], 'record', { channel: 'a' }, true],
    ['admin implies admin on all', [{ action: 'admin' }], 'admin', 'all', true],
    [
      'scoped admin is not admin',
      [{ action: 'admin', channels: ['a'] }],
      'read',
      { channel: 'a' },
      false,
    ],
    [
      'prefix grant on a matching channel',
      [{ action: 'keepalive', channels: ['cam-*'] }],
      'keepalive',
      { channel: 'cam-2' },
      true,
    ],
    [
      'prefix grant on another channel',
      [{ action: 'keepalive', channels: ['cam-*'] }],
      'keepalive',
      { channel: 'studio' },
      false,
    ],
    ['prefix grant is not all', [{ action: 'read', channels: ['cam-*'] }], 'read', 'all', false],
    ['prefix grant is some', [{ action: 'read', channels: ['cam-*'] }], 'read', 'some', true],
    ['star pattern is all', [{ action: 'read', channels: ['*'] }], 'read', 'all', true],
    ['id list', [{ action: 'record', channels: ['a', 'b'] }], 'record', { channel: 'b' }, true],
    [
      'second grant counts',
      [{ action: 'read' }, { action: 'keepalive', channels: ['b'] }],
      'keepalive',
      { channel: 'b' },
      true,
    ],
  ];
  it.each(cases)('%s', (_name, permissions, action, scope, expected) => {
    expect(allows(permissions, action, scope)).toBe(expected);
  });

  it('isAdmin only for a global admin grant', () => {
    expect(isAdmin([{ action: 'admin' }])).toBe(true);
    expect(isAdmin([{ action: 'admin', channels: ['*'] }])).toBe(true);
    expect(isAdmin([{ action: 'admin', channels: ['x'] }])).toBe(false);
    expect(isAdmin([{ action: 'manage' }])).toBe(false);
  });
});

describe('permissionSchema', () => {
  it('accepts the contract shapes and keeps absent channels absent', () => {
    expect(permissionSchema.parse({ action: 'read' })).toStrictEqual({ action: 'read' });
    expect(
      permissionSchema.parse({ action: 'keepalive', channels: ['cam-*', '*', 'x.y'] }),
    ).toStrictEqual({ action: 'keepalive', channels: ['cam-*', '*', 'x.y'] });
  });

  it.each([
    { action: 'watch' },
    { action: 'read', channels: [] },
    { action: 'read', channels: ['a*b'] },
    { action: 'read', channels: ['../x'] },
    { action: 'read', extra: 1 },
  ])('refuses %j', (input) => {
    expect(permissionSchema.safeParse(input).success).toBe(false);
  });
});

describe('IpAllowList', () => {
  it('allows everyone when empty', () => {
    expect(new IpAllowList([]).allows('203.0.113.9')).toBe(true);
  });

  it('matches addresses and CIDR blocks of both families, and IPv4-mapped IPv6', () => {
    const list = new IpAllowList(['10.0.0.0/8', '192.168.1.7', 'fd00::/8']);
    expect(list.allows('10.200.3.4')).toBe(true);
    expect(list.allows('::ffff:10.1.2.3')).toBe(true);
    expect(list.allows('192.168.1.7')).toBe(true);
    expect(list.allows('192.168.1.8')).toBe(false);
    expect(list.allows('fd12::1')).toBe(true);
    expect(list.allows('2001:db8::1')).toBe(false);
    expect(list.allows('not-an-ip')).toBe(false);
  });
});
