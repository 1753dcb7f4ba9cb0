import { describe, expect, it } from 'vitest';
import { AddressPolicy } from './address-policy.js';

describe('AddressPolicy: public unicast only, unless allowed', () => {
  const strict = new AddressPolicy([]);
  it.each([
    ['8.8.8.8', true],
    ['2606:4700::1111', true],
    ['127.0.0.1', false],
    ['127.1.2.3', false],
    ['::1', false],
    ['0.0.0.0', false],
    ['10.0.0.1', false],
    ['172.16.5.4', false],
    ['192.168.1.20', false],
    ['100.64.0.1', false],
    ['169.254.169.254', false],
    ['fe80::1', false],
    ['fd00:ec2::254', false],
    ['::ffff:127.0.0.1', false],
    ['::ffff:8.8.8.8', true],
    ['64:ff9b::7f00:1', false],
    ['2002:7f00:1::', false],
    ['224.0.0.1', false],
    ['255.255.255.255', false],
    ['not an address', false],
  ])('%s → %s', (address, allowed) => {
    expect(strict.allows(address)).toBe(allowed);
  });

  it('allowAddresses: addresses and CIDRs, IPv4-mapped forms included', () => {
    const policy = new AddressPolicy([
      '10.0.0.0/8',
      '192.168.1.20',
      'fd00::/8',
      '::ffff:172.16.0.0/108',
    ]);
    expect(policy.allows('10.9.8.7')).toBe(true);
    expect(policy.allows('::ffff:10.9.8.7')).toBe(true);
    expect(policy.allows('192.168.1.20')).toBe(true);
    expect(policy.allows('192.168.1.21')).toBe(false);
    expect(policy.allows('fd00:ec2::254')).toBe(true);
    expect(policy.allows('172.16.3.4')).toBe(true);
    expect(policy.allows('127.0.0.1')).toBe(false);
  });
});
