import { describe, expect, it } from 'vitest';

import {
  findRefusedRange,
  parseCidr,
  toAddressRanges,
} from '../../src/core/registrations/address-ranges.js';

const ranges = (...texts: string[]) =>
  toAddressRanges(
    texts.map((text) => {
      const parsed = parseCidr(text);
      if (!parsed.ok) throw new Error(parsed.problems.join());
      return parsed.value;
    }),
  );

describe('the addresses a registration may not name', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['0.0.0.0', 'unspecified ("this host")'],
    ['::', 'unspecified ("this host")'],
    ['169.254.169.254', 'link-local (cloud metadata lives here)'],
    ['fe80::1', 'link-local'],
    ['239.1.2.3', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
  ])('refuses %s (%s)', (address, why) => {
    expect(findRefusedRange(address, ranges())).toBe(why);
  });

  it.each(['10.0.0.1', '172.18.0.3', '192.168.1.5', '8.8.8.8', 'fd00::1', '2001:db8::1'])(
    'takes %s',
    (address) => {
      expect(findRefusedRange(address, ranges())).toBeUndefined();
    },
  );

  it('takes a refused address whose range the operator allowed, and only that range', () => {
    const allowed = ranges('127.0.0.0/8');
    expect(findRefusedRange('127.0.0.1', allowed)).toBeUndefined();
    expect(findRefusedRange('::ffff:127.0.0.1', allowed)).toBeUndefined();
    expect(findRefusedRange('169.254.169.254', allowed)).toBeDefined();
  });

  it('reads a bare address as a single host, and refuses what is no range', () => {
    expect(parseCidr('10.1.2.3')).toMatchObject({ ok: true, value: { text: '10.1.2.3/32' } });
    expect(parseCidr('fd00::')).toMatchObject({ ok: true, value: { text: 'fd00::/128' } });
    for (const bad of ['10.0.0.0/33', '10.0.0.0/8/8', 'web', '10.0.0/8', '::/129', '10.0.0.0/x'])
      expect(parseCidr(bad).ok, bad).toBe(false);
  });
});
