import { BlockList, isIPv4, isIPv6 } from 'node:net';

import { fail, ok, type Result } from '../result.js';

/** An IPv4 or IPv6 prefix, `10.0.0.0/8` or `fd00::/8`, as given. */
export interface Cidr {
  readonly text: string;
  readonly address: string;
  readonly prefix: number;
  readonly family: 'ipv4' | 'ipv6';
}

/**
 * The addresses no registration may name unless an operator allows them: what reaches the
 * machine itself or Envoy's own ports (loopback, `0.0.0.0`/`::`, which connect to the local
 * host), cloud metadata and other link-local services (`169.254.169.254`), and multicast and
 * broadcast, which are no single host. Each with why, for the refusal's message.
 */
export const REFUSED_RANGES: readonly (readonly [cidr: string, why: string])[] = [
  ['127.0.0.0/8', 'loopback'],
  ['::1/128', 'loopback'],
  ['0.0.0.0/8', 'unspecified ("this host")'],
  ['::/128', 'unspecified ("this host")'],
  ['169.254.0.0/16', 'link-local (cloud metadata lives here)'],
  ['fe80::/10', 'link-local'],
  ['224.0.0.0/4', 'multicast'],
  ['ff00::/8', 'multicast'],
  ['255.255.255.255/32', 'broadcast'],
];

/** `a.b.c.d/n` or `x:y::/n`; the address alone is a single host (`/32`, `/128`). */
export function parseCidr(text: string): Result<Cidr> {
  const [address = '', prefixText, extra] = text.trim().split('/');
  const family = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : undefined;
  const max = family === 'ipv4' ? 32 : 128;
  const prefix =
    prefixText === undefined ? max : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (family === undefined || extra !== undefined || !(prefix >= 0 && prefix <= max))
    return fail([
      `expected an address range such as 127.0.0.0/8 or fd00::/8, got ${JSON.stringify(text)}`,
    ]);
  return ok({ text: `${address}/${prefix}`, address, prefix, family });
}

/** A set of ranges: does an address fall in one, and which. */
export interface AddressRanges {
  /** The first range (as given) that holds `address`, or undefined. */
  find(address: string): string | undefined;
}

/**
 * Ranges to test addresses against. An IPv4-mapped IPv6 address (`::ffff:127.0.0.1`) is
 * tested as the IPv4 address it carries, so it cannot slip past an IPv4 range.
 */
export function toAddressRanges(ranges: readonly Cidr[]): AddressRanges {
  const lists = ranges.map((range) => {
    const list = new BlockList();
    list.addSubnet(range.address, range.prefix, range.family);
    return [range.text, list] as const;
  });
  return {
    find(address) {
      const plain = toPlainAddress(address);
      const family = isIPv4(plain) ? 'ipv4' : 'ipv6';
      return lists.find(([, list]) => list.check(plain, family))?.[0];
    },
  };
}

/** Why `address` may not be registered (`loopback`, ...), unless it is in `allowed`. */
export function findRefusedRange(address: string, allowed: AddressRanges): string | undefined {
  if (allowed.find(address) !== undefined) return undefined;
  const hit = REFUSED.find(address);
  return hit === undefined ? undefined : REFUSED_WHY.get(hit);
}

const REFUSED_CIDRS = REFUSED_RANGES.map(([text]) => {
  const parsed = parseCidr(text);
  if (!parsed.ok) throw new Error(`bad built-in range ${text}`);
  return parsed.value;
});
const REFUSED = toAddressRanges(REFUSED_CIDRS);
const REFUSED_WHY = new Map(REFUSED_RANGES.map(([text, why]) => [text, why]));

/** `::ffff:1.2.3.4` → `1.2.3.4`; anything else as it is. */
function toPlainAddress(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped?.[1] ?? address;
}
