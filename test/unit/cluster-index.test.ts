import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import type { Endpoint } from '../../src/core/endpoint.js';
import {
  toClusterLoadAssignment,
  toClusterLoadAssignmentJson,
} from '../../src/core/index/build-cluster-load-assignment.js';
import { ClusterIndex } from '../../src/core/index/cluster-index.js';
import { resolveServiceOptions } from '../../src/core/index/resolve-service-options.js';
import { anEndpoint } from '../support/records.js';
import {
  findShadowedEndpoints,
  groupServedEndpoints,
} from '../support/reference-cluster-load-assignment.js';

// The index keeps a cluster up to date change by change; grouping from scratch is its
// reference. Whatever endpoints come and go, in whatever batches, both must say the same.

/** Endpoints that collide often: few addresses, both sources, a few localities and options. */
const anyEndpoint = fc
  .record({
    address: fc.constantFrom('10.0.0.1', '10.0.0.2', '10.0.0.3', 'fd00::1'),
    port: fc.constantFrom(80, 8080),
    source: fc.constantFrom('docker' as const, 'api' as const),
    hostname: fc.constantFrom('', 'web-1', 'web-2'),
    health: fc.constantFrom('healthy' as const, 'draining' as const),
    weight: fc.option(fc.integer({ min: 1, max: 1_000_000 }), { nil: undefined }),
    priority: fc.constantFrom(0, 0, 1, 2),
    zone: fc.constantFrom('', 'a', 'b'),
    canary: fc.option(fc.boolean(), { nil: undefined }),
    lbPolicy: fc.option(fc.constantFrom('ROUND_ROBIN' as const, 'MAGLEV' as const), {
      nil: undefined,
    }),
  })
  .map(({ zone, lbPolicy, ...fields }) =>
    anEndpoint({
      ...fields,
      locality: { region: '', zone, subZone: '' },
      ...(lbPolicy ? { serviceOptions: { lb_policy: lbPolicy } } : {}),
    }),
  );

/** A batch: endpoints to add, and which of those present to take back (by position). */
const anyBatch = fc.record({
  added: fc.array(anyEndpoint, { maxLength: 40 }),
  removedAt: fc.array(fc.nat(), { maxLength: 40 }),
});

describe('a ClusterIndex', () => {
  it('serves, after any batches of changes, what grouping every endpoint from scratch serves', () => {
    fc.assert(
      fc.property(fc.array(anyBatch, { minLength: 1, maxLength: 12 }), (batches) => {
        const index = new ClusterIndex('web');
        let present: Endpoint[] = [];
        for (const { added, removedAt } of batches) {
          const removed = [
            ...new Set(removedAt.map((at) => present[at % Math.max(present.length, 1)])),
          ].filter((endpoint): endpoint is Endpoint => endpoint !== undefined);
          present = [...present.filter((endpoint) => !removed.includes(endpoint)), ...added];
          const served = index.apply(added, removed);

          const reference = groupServedEndpoints(present);
          // The same groups, chunked as each likes.
          const comparable = (groups: readonly (typeof reference)[number][]) =>
            groups.map(({ chunks: _chunks, ...group }) => ({ ...group, members: group.members }));
          expect(comparable(served.localities)).toEqual(comparable(reference));
          expect(served.size).toBe(present.length);
          expect(new Set(served.shadowed)).toEqual(new Set(findShadowedEndpoints(present)));
          expect(served.resolved).toEqual(resolveServiceOptions(present));
          expect(served.version).toBe(new ClusterIndex('web').apply(present, []).version);
          expect(toClusterLoadAssignmentJson('web', served.localities)).toBe(
            JSON.stringify(toClusterLoadAssignment('web', reference)),
          );
        }
      }),
      { numRuns: 300 },
    );
  });

  it('changes its version with what it serves, and only then', () => {
    const a = anEndpoint({ address: '10.0.0.1' });
    const b = anEndpoint({ address: '10.0.0.2' });
    const shadow = anEndpoint({ address: '10.0.0.1', source: 'api', hostname: '' });
    const index = new ClusterIndex('web');
    const one = index.apply([a], []).version;
    const two = index.apply([b], []).version;
    expect(two).not.toBe(one);
    expect(index.apply([shadow], []).version).toBe(two); // shadowed: not served
    expect(index.apply([], [b]).version).toBe(one);
    expect(new ClusterIndex('api').apply([{ ...a, cluster: 'api' }], []).version).not.toBe(one);
  });

  it('ignores taking back an endpoint it was never given', () => {
    const index = new ClusterIndex('web');
    const served = index.apply([], [anEndpoint()]);
    expect(served.size).toBe(0);
    expect(served.localities).toEqual([]);
  });

  it('keeps the groups a change did not touch, so what was built of them is reused', () => {
    const index = new ClusterIndex('web');
    const zoneA = anEndpoint({
      address: '10.0.0.1',
      locality: { region: '', zone: 'a', subZone: '' },
    });
    const zoneB = anEndpoint({
      address: '10.0.0.2',
      locality: { region: '', zone: 'b', subZone: '' },
    });
    const before = index.apply([zoneA, zoneB], []).localities;
    const after = index.apply(
      [anEndpoint({ address: '10.0.0.3', locality: { region: '', zone: 'b', subZone: '' } })],
      [],
    ).localities;
    expect(after[0]).toBe(before[0]);
    expect(after[1]).not.toBe(before[1]);
    expect(before[1]?.members).toHaveLength(1); // what was returned before never changes
  });

  it('caps a locality weight anew when another locality joins or leaves its priority', () => {
    const index = new ClusterIndex('web');
    const heavy = anEndpoint({ address: '10.0.0.1', weight: 3_000_000_000 });
    const other = anEndpoint({
      address: '10.0.0.2',
      locality: { region: '', zone: 'b', subZone: '' },
    });
    expect(index.apply([heavy], []).localities.map((g) => g.weight)).toEqual([3_000_000_000]);
    // Two localities of one priority may weigh at most 2^32 - 1 together.
    expect(index.apply([other], []).localities.map((g) => g.weight)).toEqual([2_147_483_647, 1]);
    expect(index.apply([], [other]).localities.map((g) => g.weight)).toEqual([3_000_000_000]);
  });
});
