import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { buildConnector } from 'undici';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/**
 * Which addresses the proxy may connect to for URIs an origin listed: public unicast addresses,
 * plus the admin's `proxy.allowAddresses` (addresses or CIDRs). Everything else — loopback,
 * private, link-local (cloud metadata at 169.254.169.254), unique-local (fd00:ec2::254),
 * carrier-grade NAT, multicast, unspecified, and the IPv6 ranges that embed an IPv4 address
 * (NAT64, 6to4, Teredo), whose embedded address could be any of those — is refused.
 */
export class AddressPolicy {
  private readonly allowed: readonly (readonly [Address, number])[];

  /** Throws on an entry that is neither an address nor a CIDR (config validation checks first). */
  constructor(allowAddresses: readonly string[]) {
    this.allowed = allowAddresses.map(parseAllowed);
  }

  /** Whether `address` (a literal IPv4 or IPv6 address) may be connected to. */
  allows(address: string): boolean {
    if (!ipaddr.isValid(address)) return false;
    const parsed = ipaddr.process(address);
    if (this.allowed.some(([net, bits]) => net.kind() === parsed.kind() && parsed.match(net, bits)))
      return true;
    return parsed.range() === 'unicast';
  }
}

/** An `allowAddresses` entry as a network: an address alone is a /32 or /128. */
function parseAllowed(entry: string): readonly [Address, number] {
  if (entry.includes('/')) {
    const [net, bits] = ipaddr.parseCIDR(entry);
    // An IPv4-mapped IPv6 network is matched as the IPv4 network it maps.
    if (net.kind() === 'ipv6' && (net as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96)
      return [(net as ipaddr.IPv6).toIPv4Address(), bits - 96];
    return [net, bits];
  }
  const address = ipaddr.process(entry);
  return [address, address.kind() === 'ipv4' ? 32 : 128];
}

/** The error a refused connection fails with; its code names the reason in logs and answers. */
export class AddressRefusedError extends Error {
  readonly code = 'EADDRREFUSED';
  constructor(address: string) {
    super(`connecting to ${address} is not allowed by the proxy address policy`);
    this.name = 'AddressRefusedError';
  }
}

/**
 * A DNS lookup that fails when any address of the name is refused. It runs when a connection is
 * opened, so the address checked is the address connected to: a name that resolves to a public
 * address once and to 127.0.0.1 the next time (DNS rebinding) is checked both times.
 */
export function guardedLookup(policy: AddressPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) {
        callback(error, '', 0);
        return;
      }
      const refused = addresses.find((a) => !policy.allows(a.address));
      const first = addresses[0];
      if (refused !== undefined || first === undefined) {
        callback(new AddressRefusedError(refused?.address ?? hostname), '', 0);
        return;
      }
      if (options.all === true) {
        (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
        return;
      }
      callback(null, first.address, first.family);
    });
  };
}

/**
 * An undici connector that applies the policy at connect time: literal addresses (which never
 * reach a DNS lookup) are checked here, names through `guardedLookup`.
 */
export function guardedConnector(policy: AddressPolicy): buildConnector.connector {
  const connect = buildConnector({ lookup: guardedLookup(policy) });
  return (options, callback) => {
    const host = options.hostname.replace(/^\[(.*)\]$/, '$1');
    if (isIP(host) !== 0 && !policy.allows(host)) {
      callback(new AddressRefusedError(host), null);
      return;
    }
    connect(options, callback);
  };
}
