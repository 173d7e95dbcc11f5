import { describe, expect, it } from 'vitest';

import {
  parseHostKey,
  parseHostsBody,
  parseHostUpdate,
} from '../../src/core/registrations/parse-registration.js';

const NOW = 1_000_000;
const tutorialHost = {
  ip_address: '172.18.0.3',
  port: 8081,
  tags: { az: 'us-central1-a', canary: false, load_balancing_weight: 50 },
};

describe('parseHostsBody', () => {
  it("reads the tutorial's body", () => {
    expect(parseHostsBody({ hosts: [tutorialHost] }, NOW)).toEqual({
      ok: true,
      value: [
        {
          ipAddress: '172.18.0.3',
          port: 8081,
          tags: tutorialHost.tags,
          ttlSeconds: undefined,
          expiresAt: undefined,
        },
      ],
    });
  });

  it('accepts an empty host list, IPv6, other plain tags, and a TTL', () => {
    const result = parseHostsBody(
      {
        hosts: [
          { ip_address: 'fd00::7', port: 80, tags: { team: 'shop', build: 42 }, ttl_seconds: 30 },
        ],
      },
      NOW,
    );
    expect(result).toEqual({
      ok: true,
      value: [
        {
          ipAddress: 'fd00::7',
          port: 80,
          tags: { team: 'shop', build: 42 },
          ttlSeconds: 30,
          expiresAt: NOW + 30_000,
        },
      ],
    });
    expect(parseHostsBody({ hosts: [] }, NOW)).toEqual({ ok: true, value: [] });
  });

  it.each([
    [null, 'body: expected {"hosts": [...]}, got null'],
    [[], 'body: expected {"hosts": [...]}, got an array'],
    [{}, 'hosts: expected an array of hosts, got nothing'],
    [{ hosts: {} }, 'hosts: expected an array of hosts, got an object'],
    [{ hosts: [], extra: 1 }, 'extra: unknown field; expected only "hosts"'],
    [{ hosts: ['172.18.0.3'] }, 'hosts[0]: expected a host object, got "172.18.0.3"'],
    [
      { hosts: [{ ...tutorialHost, ip_address: 'web-1' }] },
      'hosts[0].ip_address: expected an IP address (v4 or v6), got "web-1"',
    ],
    [
      { hosts: [{ ...tutorialHost, ip_address: '300.1.2.3' }] },
      'hosts[0].ip_address: expected an IP address (v4 or v6), got "300.1.2.3"',
    ],
    [
      { hosts: [{ ...tutorialHost, port: 0 }] },
      'hosts[0].port: expected an integer 1-65535, got 0',
    ],
    [
      { hosts: [{ ...tutorialHost, port: '8081' }] },
      'hosts[0].port: expected an integer 1-65535, got "8081"',
    ],
    [
      { hosts: [{ ...tutorialHost, port: 80.5 }] },
      'hosts[0].port: expected an integer 1-65535, got 80.5',
    ],
    [{ hosts: [{ ...tutorialHost, tags: [] }] }, 'hosts[0].tags: expected an object, got an array'],
    [
      { hosts: [{ ...tutorialHost, tags: { az: 1 } }] },
      'hosts[0].tags.az: expected a string, got 1',
    ],
    [
      { hosts: [{ ...tutorialHost, tags: { canary: 'false' } }] },
      'hosts[0].tags.canary: expected true or false, got "false"',
    ],
    [
      { hosts: [{ ...tutorialHost, tags: { load_balancing_weight: 0 } }] },
      'hosts[0].tags.load_balancing_weight: expected an integer 1-1000000, got 0',
    ],
    [
      { hosts: [{ ...tutorialHost, tags: { nested: { a: 1 } } }] },
      'hosts[0].tags.nested: expected a string, number or boolean, got an object',
    ],
    [
      { hosts: [{ ...tutorialHost, ttl_seconds: 0 }] },
      'hosts[0].ttl_seconds: expected an integer 1-86400, got 0',
    ],
    [
      { hosts: [{ ...tutorialHost, weight: 5 }] },
      'hosts[0].weight: unknown field; expected ip_address, port, tags, ttl_seconds',
    ],
    [{ hosts: [tutorialHost, tutorialHost] }, 'hosts[1]: duplicates hosts[0] (172.18.0.3:8081)'],
  ])('rejects %j', (body, problem) => {
    expect(parseHostsBody(body, NOW)).toEqual({ ok: false, problems: [problem] });
  });

  it('reports every bad field of every host', () => {
    const result = parseHostsBody(
      { hosts: [{ ip_address: 'x', port: 0 }, tutorialHost, { port: 1 }] },
      NOW,
    );
    expect(!result.ok && result.problems).toEqual([
      'hosts[0].ip_address: expected an IP address (v4 or v6), got "x"',
      'hosts[0].port: expected an integer 1-65535, got 0',
      'hosts[2].ip_address: expected an IP address (v4 or v6), got nothing',
    ]);
  });
});

describe('per-host URLs and bodies', () => {
  it.each([
    ['172.18.0.3:8081', { ipAddress: '172.18.0.3', port: 8081 }],
    ['[fd00::7]:80', { ipAddress: 'fd00::7', port: 80 }],
  ])('reads %s', (key, expected) => {
    expect(parseHostKey(key)).toEqual({ ok: true, value: expected });
  });

  it.each(['172.18.0.3', 'fd00::7:80', 'web:80', '172.18.0.3:0', '172.18.0.3:70000'])(
    'rejects %s',
    (key) => {
      expect(parseHostKey(key).ok).toBe(false);
    },
  );

  it('takes tags and a TTL from the body, the address from the path', () => {
    expect(parseHostUpdate({ tags: { az: 'z1' }, ttl_seconds: 10 }, '10.0.0.1', 80, NOW)).toEqual({
      ok: true,
      value: {
        ipAddress: '10.0.0.1',
        port: 80,
        tags: { az: 'z1' },
        ttlSeconds: 10,
        expiresAt: NOW + 10_000,
      },
    });
    expect(parseHostUpdate(undefined, '10.0.0.1', 80, NOW).ok).toBe(true);
    expect(parseHostUpdate({ port: 81 }, '10.0.0.1', 80, NOW)).toEqual({
      ok: false,
      problems: ['port: unknown field; expected tags, ttl_seconds (the address is in the path)'],
    });
    expect(parseHostUpdate({ ttl_seconds: -1 }, '10.0.0.1', 80, NOW)).toEqual({
      ok: false,
      problems: ['ttl_seconds: expected an integer 1-86400, got -1'],
    });
  });
});
