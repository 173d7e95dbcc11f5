import { describe, expect, it } from 'vitest';

import { buildClusterResource } from '../../src/core/index/snapshot.js';
import {
  applyRegistration,
  expireRegistrations,
  isHeartbeat,
} from '../../src/core/registrations/apply-registration.js';
import {
  NO_REGISTRATIONS,
  type RegisteredHost,
  type Registrations,
  toRegistrations,
} from '../../src/core/registrations/registered-host.js';
import {
  toRegisteredEndpoints,
  toSdsHosts,
} from '../../src/core/registrations/to-registered-endpoints.js';
import { anEndpoint } from '../support/records.js';

const host = (ip: string, overrides: Partial<RegisteredHost> = {}): RegisteredHost => ({
  ipAddress: ip,
  port: 8081,
  tags: {},
  ttlSeconds: undefined,
  expiresAt: undefined,
  ...overrides,
});
const empty: Registrations = NO_REGISTRATIONS;
const withWeb: Registrations = toRegistrations([['web', [host('10.0.0.1')]]]);
/** A service's hosts in registration order (none for an unknown service). */
const hostsOf = (state: Registrations, service: string) => [
  ...(state.get(service)?.values() ?? []),
];

describe('applyRegistration', () => {
  it('creates a service once; a second create conflicts', () => {
    const created = applyRegistration(empty, {
      kind: 'create',
      service: 'web',
      hosts: [host('10.0.0.1')],
    });
    expect(created.ok && created.result).toBe('created');
    expect(
      created.ok && applyRegistration(created.state, { kind: 'create', service: 'web', hosts: [] }),
    ).toEqual({ ok: false, reason: 'exists' });
    expect(empty.size).toBe(0);
  });

  it('replaces or deletes only a known service', () => {
    expect(applyRegistration(empty, { kind: 'replace', service: 'web', hosts: [] })).toEqual({
      ok: false,
      reason: 'no-such-service',
    });
    expect(applyRegistration(empty, { kind: 'delete', service: 'web' })).toEqual({
      ok: false,
      reason: 'no-such-service',
    });
    const replaced = applyRegistration(withWeb, { kind: 'replace', service: 'web', hosts: [] });
    expect(replaced.ok && hostsOf(replaced.state, 'web')).toEqual([]);
    const deleted = applyRegistration(withWeb, { kind: 'delete', service: 'web' });
    expect(deleted.ok && deleted.state.has('web')).toBe(false);
  });

  it('puts one host: creating its service, adding, or replacing at the same address', () => {
    const first = applyRegistration(empty, {
      kind: 'put-host',
      service: 'hb',
      host: host('10.0.0.9'),
    });
    expect(first.ok && first.result).toBe('created');
    const again = first.ok
      ? applyRegistration(first.state, {
          kind: 'put-host',
          service: 'hb',
          host: host('10.0.0.9', { tags: { az: 'z' } }),
        })
      : first;
    expect(again.ok && again.result).toBe('updated');
    expect(again.ok && hostsOf(again.state, 'hb')).toEqual([
      host('10.0.0.9', { tags: { az: 'z' } }),
    ]);
  });

  it('deletes one host, or says which is missing', () => {
    expect(
      applyRegistration(withWeb, {
        kind: 'delete-host',
        service: 'web',
        ipAddress: '10.0.0.2',
        port: 8081,
      }),
    ).toEqual({ ok: false, reason: 'no-such-host' });
    const deleted = applyRegistration(withWeb, {
      kind: 'delete-host',
      service: 'web',
      ipAddress: '10.0.0.1',
      port: 8081,
    });
    expect(deleted.ok && hostsOf(deleted.state, 'web')).toEqual([]);
  });
});

describe('expireRegistrations', () => {
  it('drops TTL hosts whose time is up and keeps the rest', () => {
    const state: Registrations = toRegistrations([
      ['hb', [host('10.0.0.1', { ttlSeconds: 5, expiresAt: 100 }), host('10.0.0.2')]],
    ]);
    expect(expireRegistrations(state, 99).state).toBe(state);
    const { state: next, expired } = expireRegistrations(state, 100);
    expect(hostsOf(next, 'hb')).toEqual([host('10.0.0.2')]);
    expect(expired.map((e) => e.host.ipAddress)).toEqual(['10.0.0.1']);
  });
});

describe('registered hosts as endpoints', () => {
  it("uses the tutorial's tags: az → zone, weight, canary, region, sub_zone", () => {
    const [endpoint] = toRegisteredEndpoints('web', [
      host('172.18.0.3', {
        tags: {
          az: 'us-central1-a',
          region: 'us',
          sub_zone: 'r1',
          canary: true,
          load_balancing_weight: 50,
          team: 'x',
        },
      }),
    ]);
    expect(endpoint).toEqual({
      ...anEndpoint({
        address: '172.18.0.3',
        port: 8081,
        hostname: '',
        weight: 50,
        canary: true,
        locality: { region: 'us', zone: 'us-central1-a', subZone: 'r1' },
        source: 'api',
      }),
      containerId: undefined, // a registered host is no container
    });
  });

  it('gives the v1 SDS form of every endpoint Envoy is served', () => {
    const { endpoints: served } = buildClusterResource('web', [
      ...toRegisteredEndpoints('web', [
        host('172.18.0.3', { tags: { az: 'z1', canary: false, load_balancing_weight: 50 } }),
      ]),
      anEndpoint({ cluster: 'web', address: '172.18.0.9', port: 8000 }),
    ]);
    expect(toSdsHosts(served)).toEqual({
      hosts: [
        { ip_address: '172.18.0.9', port: 8000, tags: {} },
        {
          ip_address: '172.18.0.3',
          port: 8081,
          tags: { az: 'z1', canary: false, load_balancing_weight: 50 },
        },
      ],
    });
  });
});

describe('isHeartbeat', () => {
  const ttl = (ip: string, tags: RegisteredHost['tags'] = { az: 'a' }) =>
    host(ip, { ttlSeconds: 30, expiresAt: 1000, tags });
  const state: Registrations = toRegistrations([['web', [ttl('10.0.0.1')]]]);
  const put = (h: RegisteredHost) => ({ kind: 'put-host' as const, service: 'web', host: h });

  it('is a put of a known host with the same tags and TTL: only its deadline moves', () => {
    expect(isHeartbeat(state, put({ ...ttl('10.0.0.1'), expiresAt: 31_000 }))).toBe(true);
  });

  it('is not when what Envoy is served, or the TTL, changes', () => {
    expect(isHeartbeat(state, put(ttl('10.0.0.2')))).toBe(false);
    expect(isHeartbeat(state, put(ttl('10.0.0.1', { az: 'b' })))).toBe(false);
    expect(isHeartbeat(state, put(ttl('10.0.0.1', { az: 'a', canary: true })))).toBe(false);
    expect(isHeartbeat(state, put(ttl('10.0.0.1', {})))).toBe(false);
    expect(isHeartbeat(state, put({ ...ttl('10.0.0.1'), ttlSeconds: 60 }))).toBe(false);
    expect(isHeartbeat(state, { kind: 'replace', service: 'web', hosts: [ttl('10.0.0.1')] })).toBe(
      false,
    );
  });
});
