import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { toClusterLoadAssignment } from '../../src/core/index/build-cluster-load-assignment.js';
import { ClusterIndex } from '../../src/core/index/cluster-index.js';
import { CLUSTER_LOAD_ASSIGNMENT_TYPE_URL } from '../../src/core/type-urls.js';
import { createAssignmentEncoder } from '../../src/transports/grpc/encode-cluster-load-assignment.js';
import { packAny } from '../../src/transports/grpc/encode-proto3-json.js';
import { loadEnvoyProtos } from '../../src/transports/grpc/load-envoy-protos.js';
import { anEndpoint } from '../support/records.js';

// The gRPC server sends a ClusterLoadAssignment as bytes assembled from those of its groups and
// endpoints, each encoded once. They must be the very bytes of the whole message encoded at once.

const anyEndpoint = fc
  .record({
    address: fc.oneof(fc.ipV4(), fc.constantFrom('fd00::1', '2001:db8::7')),
    port: fc.integer({ min: 1, max: 65535 }),
    source: fc.constantFrom('docker' as const, 'api' as const),
    hostname: fc.constantFrom('', 'web-1', 'shop-web-2'),
    health: fc.constantFrom('healthy' as const, 'draining' as const),
    weight: fc.option(fc.integer({ min: 1, max: 1_000_000 }), { nil: undefined }),
    priority: fc.integer({ min: 0, max: 3 }),
    region: fc.constantFrom('', 'eu'),
    zone: fc.constantFrom('', 'eu-1a', 'eu-1b'),
    subZone: fc.constantFrom('', 'rack-1'),
    canary: fc.option(fc.boolean(), { nil: undefined }),
  })
  .map(({ region, zone, subZone, ...fields }) =>
    anEndpoint({ ...fields, locality: { region, zone, subZone } }),
  );

describe("the gRPC server's ClusterLoadAssignment bytes", () => {
  const root = loadEnvoyProtos();
  const encode = createAssignmentEncoder(root);

  it('are those of the whole assignment encoded at once, for any endpoints', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.array(anyEndpoint, { maxLength: 30 }),
        (name, endpoints) => {
          const { localities } = new ClusterIndex(name).apply(endpoints, []);
          const whole = packAny(root, {
            '@type': CLUSTER_LOAD_ASSIGNMENT_TYPE_URL,
            ...toClusterLoadAssignment(name, localities),
          });
          expect(Buffer.from(encode(name, localities)).equals(Buffer.from(whole.value))).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('stay right as a cluster changes, its unchanged groups reused', () => {
    const index = new ClusterIndex('web');
    const first = anEndpoint({ address: '10.0.0.1' });
    const second = anEndpoint({ address: '10.0.0.2', priority: 1 });
    for (const [added, removed] of [
      [[first, second], []],
      [[anEndpoint({ address: '10.0.0.3' })], [first]],
      [[], [second]],
    ] as const) {
      const { localities } = index.apply(added, removed);
      const whole = packAny(root, {
        '@type': CLUSTER_LOAD_ASSIGNMENT_TYPE_URL,
        ...toClusterLoadAssignment('web', localities),
      });
      expect(Buffer.from(encode('web', localities)).equals(Buffer.from(whole.value))).toBe(true);
    }
  });
});
