import { describe, expect, it } from 'vitest';

import {
  DEFAULT_SERVING_POLICY,
  isAllowedDomain,
} from '../../src/core/labels/check-serving-policy.js';
import { parseConstraint } from '../../src/core/labels/container-constraint.js';
import {
  type AddressOptions,
  toContainerEndpoints,
} from '../../src/core/labels/to-container-endpoints.js';
import { aContainer } from '../support/records.js';

const options = (serving: Partial<typeof DEFAULT_SERVING_POLICY> = {}): AddressOptions => ({
  addressMode: 'container',
  hostIp: '127.0.0.1',
  network: undefined,
  labelPrefix: 'eds',
  serving: { ...DEFAULT_SERVING_POLICY, ...serving },
});
const labelled = (labels: Record<string, string>) =>
  aContainer({ labels: { 'eds.service': 'web', 'eds.port': '8080', ...labels } });

describe('what labels may claim', () => {
  // The attack: `eds.domains=*` caught every host no other service claimed.
  it('refuses a wildcard domain unless --allowed-domains allows it, and serves exact names', () => {
    for (const domains of ['*', '*.shop.test', 'api.*', 'shop.test,*']) {
      const decided = toContainerEndpoints(labelled({ 'eds.domains': domains }), options());
      expect(decided.kind, domains).toBe('invalid');
      expect(decided.kind === 'invalid' && decided.problems.join()).toContain('--allowed-domains');
    }
    expect(toContainerEndpoints(labelled({ 'eds.domains': 'shop.test' }), options()).kind).toBe(
      'served',
    );
    expect(
      toContainerEndpoints(
        labelled({ 'eds.domains': '*.shop.test' }),
        options({ allowedDomains: ['*.shop.test'] }),
      ).kind,
    ).toBe('served');
  });

  it('reads --allowed-domains as names under a suffix, one name, or anything', () => {
    const allowed = ['*.example.com', 'shop.test'];
    expect(isAllowedDomain('a.example.com', allowed)).toBe(true);
    expect(isAllowedDomain('*.example.com', allowed)).toBe(true);
    expect(isAllowedDomain('*.a.example.com', allowed)).toBe(true);
    expect(isAllowedDomain('example.com', allowed)).toBe(false);
    expect(isAllowedDomain('evil-example.com', allowed)).toBe(false);
    expect(isAllowedDomain('shop.test', allowed)).toBe(true);
    expect(isAllowedDomain('a.shop.test', allowed)).toBe(false);
    expect(isAllowedDomain('*', allowed)).toBe(false);
    expect(isAllowedDomain('*', ['*'])).toBe(true);
    expect(isAllowedDomain('web', [])).toBe(true);
  });

  // The attack: `eds.tcp_port` opened any port on Envoy, its own listeners' included.
  it('refuses a tcp_port outside --tcp-port-range', () => {
    for (const port of ['80', '443', '1023']) {
      const decided = toContainerEndpoints(labelled({ 'eds.tcp_port': port }), options());
      expect(decided.kind, port).toBe('invalid');
      expect(decided.kind === 'invalid' && decided.problems.join()).toContain('--tcp-port-range');
    }
    expect(toContainerEndpoints(labelled({ 'eds.tcp_port': '15432' }), options()).kind).toBe(
      'served',
    );
    expect(
      toContainerEndpoints(
        labelled({ 'eds.tcp_port': '15432' }),
        options({ tcpPorts: { min: 20000, max: 20999 } }),
      ).kind,
    ).toBe('invalid');
  });

  // Unverified TLS to a container is never the default: it must be said, or a CA given.
  it('refuses eds.protocol=https with no --upstream-ca, unless the label takes it unverified', () => {
    const https = labelled({ 'eds.protocol': 'https' });
    const refused = toContainerEndpoints(https, options());
    expect(refused.kind).toBe('invalid');
    expect(refused.kind === 'invalid' && refused.problems.join()).toContain('--upstream-ca');
    expect(toContainerEndpoints(https, options({ upstreamCa: true })).kind).toBe('served');
    expect(
      toContainerEndpoints(
        labelled({ 'eds.protocol': 'https', 'eds.tls.upstream_verify': 'false' }),
        options(),
      ).kind,
    ).toBe('served');
  });

  // The attack: an image's own LABELs published it.
  it('with --exposed-by-default=false, withholds what does not say enable=true, and says why', () => {
    const closed = options({ exposedByDefault: false });
    const decided = toContainerEndpoints(labelled({}), closed);
    expect(decided).toEqual({
      kind: 'withheld',
      reason:
        'not exposed: the agent serves only containers labelled eds.enable=true (--exposed-by-default=false)',
    });
    expect(toContainerEndpoints(labelled({ 'eds.enable': 'true' }), closed).kind).toBe('served');
    expect(toContainerEndpoints(labelled({ 'eds.enable': 'false' }), closed).kind).toBe('ignored');
    expect(toContainerEndpoints(labelled({}), options()).kind).toBe('served');
  });

  // An image's labels, or a container of another stack on the same engine, published it.
  it('with --constraint, serves only containers whose labels pass every test, and names the one failed', () => {
    const constraints = ['project=shop', 'label!=tier=internal', 'label=team'].map((text) => {
      const parsed = parseConstraint(text);
      if (!parsed.ok) throw new Error(parsed.problems.join());
      return parsed.value;
    });
    const constrained = options({ constraints });
    const shop = { 'com.docker.compose.project': 'shop', team: 'a' };
    expect(toContainerEndpoints(labelled(shop), constrained).kind).toBe('served');
    // A Swarm stack's service counts as its project.
    expect(
      toContainerEndpoints(
        labelled({ 'com.docker.stack.namespace': 'shop', team: 'a' }),
        constrained,
      ).kind,
    ).toBe('served');
    expect(toContainerEndpoints(labelled({ ...shop, tier: 'public' }), constrained).kind).toBe(
      'served',
    );
    const refused: [Record<string, string>, string][] = [
      [{ team: 'a' }, 'project=shop'],
      [{ 'com.docker.compose.project': 'other', team: 'a' }, 'project=shop'],
      [{ ...shop, tier: 'internal' }, 'label!=tier=internal'],
      [{ 'com.docker.compose.project': 'shop' }, 'label=team'],
    ];
    for (const [labels, failed] of refused) {
      expect(toContainerEndpoints(labelled(labels), constrained)).toEqual({
        kind: 'withheld',
        reason: `not exposed: fails --constraint ${failed}`,
      });
    }
  });

  it('reads constraints in docker ps --filter words, and refuses anything else', () => {
    expect(parseConstraint('label=a.b')).toEqual({
      ok: true,
      value: { kind: 'label', key: 'a.b', negated: false },
    });
    expect(parseConstraint('label!=a=b=c')).toEqual({
      ok: true,
      value: { kind: 'label', key: 'a', value: 'b=c', negated: true },
    });
    expect(parseConstraint('label=a=')).toEqual({
      ok: true,
      value: { kind: 'label', key: 'a', value: '', negated: false },
    });
    for (const bad of ['team', 'label=', 'project=', 'labels=a', '!label=a'])
      expect(parseConstraint(bad).ok, bad).toBe(false);
  });
});
