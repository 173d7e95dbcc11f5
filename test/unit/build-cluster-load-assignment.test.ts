import { describe, expect, it } from 'vitest';

import { buildClusterResource } from '../../src/core/index/snapshot.js';
import { anEndpoint } from '../support/records.js';
import { buildClusterLoadAssignment } from '../support/reference-cluster-load-assignment.js';
import { findShadowedEndpoints } from '../support/reference-cluster-load-assignment.js';

describe('buildClusterLoadAssignment', () => {
  it('builds the Envoy shape in snake_case, omitting defaults', () => {
    expect(buildClusterLoadAssignment('web', [anEndpoint()])).toEqual({
      cluster_name: 'web',
      endpoints: [
        {
          locality: {},
          load_balancing_weight: 1,
          lb_endpoints: [
            {
              endpoint: {
                address: { socket_address: { address: '172.18.0.3', port_value: 8080 } },
                hostname: 'shop-web-1',
              },
              health_status: 'HEALTHY',
              metadata: { filter_metadata: { 'eds-agent': { source: 'docker' } } },
            },
          ],
        },
      ],
    });
  });

  it('carries weight, canary metadata, draining, locality and priority', () => {
    const assignment = buildClusterLoadAssignment('web', [
      anEndpoint({
        weight: 50,
        canary: false,
        health: 'draining',
        priority: 1,
        locality: { region: 'eu', zone: 'eu-1a', subZone: '' },
      }),
    ]);
    expect(assignment.endpoints).toEqual([
      {
        locality: { region: 'eu', zone: 'eu-1a' },
        priority: 1,
        load_balancing_weight: 50,
        lb_endpoints: [
          {
            endpoint: {
              address: { socket_address: { address: '172.18.0.3', port_value: 8080 } },
              hostname: 'shop-web-1',
            },
            health_status: 'DRAINING',
            load_balancing_weight: 50,
            metadata: {
              filter_metadata: { 'envoy.lb': { canary: false }, 'eds-agent': { source: 'docker' } },
            },
          },
        ],
      },
    ]);
  });

  it('groups endpoints by priority then locality, and sorts inside each group', () => {
    const assignment = buildClusterLoadAssignment('web', [
      anEndpoint({ address: '10.0.0.9', locality: { region: '', zone: 'b', subZone: '' } }),
      anEndpoint({ address: '10.0.0.2', priority: 1 }),
      anEndpoint({ address: '10.0.0.5', locality: { region: '', zone: 'a', subZone: '' } }),
      anEndpoint({ address: '10.0.0.1', locality: { region: '', zone: 'b', subZone: '' } }),
    ]);
    expect(
      assignment.endpoints.map((group) => [
        group.priority ?? 0,
        group.locality.zone,
        group.lb_endpoints.map((lb) => lb.endpoint.address.socket_address.address),
      ]),
    ).toEqual([
      [0, 'a', ['10.0.0.5']],
      [0, 'b', ['10.0.0.1', '10.0.0.9']],
      [1, undefined, ['10.0.0.2']],
    ]);
  });

  it('weighs each locality as its endpoints together, within what a priority may hold', () => {
    const zone = (z: string) => ({ region: '', zone: z, subZone: '' });
    const weights = (endpoints: ReturnType<typeof anEndpoint>[]) =>
      buildClusterLoadAssignment('web', endpoints).endpoints.map((group) => [
        group.priority ?? 0,
        group.load_balancing_weight,
      ]);
    expect(
      weights([
        anEndpoint({ address: '10.0.0.1', locality: zone('a'), weight: 3 }),
        anEndpoint({ address: '10.0.0.2', locality: zone('a') }),
        anEndpoint({ address: '10.0.0.3', locality: zone('b') }),
        anEndpoint({ address: '10.0.0.4', priority: 1 }),
      ]),
    ).toEqual([
      [0, 4],
      [0, 1],
      [1, 1],
    ]);
    // 5,000 endpoints at the largest weight would overflow a uint32: each locality is capped.
    const heavy = Array.from({ length: 5000 }, (_, i) =>
      anEndpoint({
        address: `10.${i >> 8}.${i & 255}.1`,
        weight: 1_000_000,
        locality: zone(i % 2 ? 'a' : 'b'),
      }),
    );
    const capped = weights(heavy).map(([, weight]) => weight ?? 0);
    expect(capped.reduce((sum, weight) => sum + weight, 0)).toBeLessThanOrEqual(0xffff_ffff);
  });

  it('keeps a duplicate address once', () => {
    const assignment = buildClusterLoadAssignment('web', [
      anEndpoint({ hostname: 'b' }),
      anEndpoint({ hostname: 'a' }),
    ]);
    expect(assignment.endpoints[0]?.lb_endpoints.map((lb) => lb.endpoint.hostname)).toEqual(['a']);
  });

  it("keeps Docker's endpoint when a registration has the same address, and names the one dropped", () => {
    const registered = anEndpoint({ source: 'api', hostname: '' });
    const container = anEndpoint({ source: 'docker', hostname: 'zzz-last-by-name' });
    const assignment = buildClusterLoadAssignment('web', [registered, container]);
    expect(assignment.endpoints[0]?.lb_endpoints).toHaveLength(1);
    expect(
      assignment.endpoints[0]?.lb_endpoints[0]?.metadata.filter_metadata['eds-agent'].source,
    ).toBe('docker');
    expect(findShadowedEndpoints([registered, container])).toEqual([registered]);
    expect(findShadowedEndpoints([registered, anEndpoint({ port: 9090 })])).toEqual([]);
  });

  it('omits an empty hostname', () => {
    const [lb] =
      buildClusterLoadAssignment('web', [anEndpoint({ hostname: '', source: 'api' })]).endpoints[0]
        ?.lb_endpoints ?? [];
    expect(lb?.endpoint).toEqual({
      address: { socket_address: { address: '172.18.0.3', port_value: 8080 } },
    });
  });

  it('builds an assignment with no endpoints for an empty cluster (Envoy then empties it)', () => {
    expect(buildClusterLoadAssignment('web', [])).toEqual({ cluster_name: 'web', endpoints: [] });
  });

  it('names the endpoints it serves in our words, each address once, in the order it lists them', () => {
    const { assignment, endpoints: served } = buildClusterResource('web', [
      anEndpoint({ address: '10.0.0.9', priority: 1 }),
      anEndpoint({ address: '10.0.0.2', locality: { region: 'eu', zone: '', subZone: '' } }),
      anEndpoint({ address: '10.0.0.1', source: 'api', hostname: '' }),
      anEndpoint({ address: '10.0.0.1' }), // Docker's, which shadows the registration
    ]);
    const listed = assignment.endpoints.flatMap((locality) =>
      locality.lb_endpoints.map((lb) => lb.endpoint.address.socket_address.address),
    );
    expect(served.map((endpoint) => endpoint.address)).toEqual(listed);
    expect(served.map((endpoint) => `${endpoint.address} ${endpoint.source}`)).toEqual([
      '10.0.0.1 docker',
      '10.0.0.2 docker',
      '10.0.0.9 docker',
    ]);
  });
});
