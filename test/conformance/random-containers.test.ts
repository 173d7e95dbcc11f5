import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import type { ContainerRecord } from '../../src/core/container-record.js';
import {
  type AddressOptions,
  toContainerEndpoints,
} from '../../src/core/labels/to-container-endpoints.js';
import { createSnapshotStore } from '../../src/snapshot-store.js';
import { answerDiscovery } from '../../src/transports/http/answer-discovery.js';
import { checkEdsResponse } from './support/check-eds-response.js';

/** A label value, and whether the agent must refuse it. */
type Labelled = { value: string; bad: boolean };
const good = (arb: fc.Arbitrary<string>) => arb.map((value): Labelled => ({ value, bad: false }));
const bad = (...values: string[]) =>
  fc.constantFrom(...values).map((value): Labelled => ({ value, bad: true }));
const either = (valid: fc.Arbitrary<string>, ...invalid: string[]) =>
  fc.oneof({ arbitrary: good(valid), weight: 4 }, { arbitrary: bad(...invalid), weight: 1 });

const clusterName = fc.constantFrom('web', 'api', 'shop.cart', 'admin_v2', 'svc:grpc');
const labelArb = fc.record(
  {
    service: either(clusterName, 'my service', '-web', ''),
    port: either(fc.integer({ min: 1, max: 65535 }).map(String), '0', 'http', '65536', ' 80', '-1'),
    weight: either(fc.integer({ min: 1, max: 1_000_000 }).map(String), '0', 'heavy', '1000001'),
    priority: either(fc.integer({ min: 0, max: 128 }).map(String), '129', 'high'),
    zone: good(fc.string({ maxLength: 12 })),
    region: good(fc.constantFrom('eu', 'us-east', '')),
    canary: either(fc.constantFrom('true', 'false', 'TRUE'), 'yes', '1'),
    enable: either(fc.constantFrom('true', 'True'), 'on'),
  },
  { requiredKeys: ['service'] },
);

const network = fc.record({
  name: fc.constantFrom('bridge', 'shop_default', 'shop_back'),
  ipv4: fc.oneof(fc.ipV4(), fc.constant('')),
  ipv6: fc.oneof(fc.ipV6(), fc.constant('')),
});
const published = fc.record({
  containerPort: fc.integer({ min: 1, max: 65535 }),
  hostIp: fc.constantFrom('0.0.0.0', '::', '127.0.0.1', ''),
  hostPort: fc.integer({ min: 1, max: 65535 }),
});
const containerArb = fc.record({
  labels: labelArb,
  name: fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/),
  state: fc.constantFrom<ContainerRecord['state']>(
    'running',
    'running',
    'running',
    'paused',
    'not-running',
  ),
  health: fc.constantFrom<ContainerRecord['health']>(
    'none',
    'none',
    'healthy',
    'starting',
    'unhealthy',
  ),
  stopping: fc.boolean(),
  exposedPorts: fc.uniqueArray(fc.integer({ min: 1, max: 65535 }), { maxLength: 3 }),
  networks: fc.uniqueArray(network, { maxLength: 3, selector: (n) => n.name }),
  publishedPorts: fc.array(published, { maxLength: 3 }),
});
const optionsArb: fc.Arbitrary<AddressOptions> = fc.record({
  addressMode: fc.constantFrom('container', 'host'),
  hostIp: fc.constantFrom('127.0.0.1', '192.0.2.10', '::1'),
  network: fc.constantFrom(undefined, 'shop_default', 'missing'),
  labelPrefix: fc.constant('eds'),
});

type ContainerSpec = typeof containerArb extends fc.Arbitrary<infer T> ? T : never;

function toRecord(spec: ContainerSpec, index: number): { record: ContainerRecord; bad: boolean } {
  const labels: Record<string, string> = {};
  let anyBad = false;
  for (const [key, labelled] of Object.entries(spec.labels)) {
    labels[`eds.${key}`] = labelled.value;
    anyBad ||= labelled.bad;
  }
  const record: ContainerRecord = {
    ...spec,
    id: index.toString(16).padStart(64, '0'),
    labels,
    exposedPorts: [...spec.exposedPorts].sort((a, b) => a - b),
  };
  return { record, bad: anyBad };
}

// Whatever Docker reports and whatever users put in labels, the agent either serves something
// Envoy accepts or reports the container: it never serves an invalid input, never emits an
// answer Envoy would reject.
describe('random containers, labels, networks, health states and address modes', () => {
  it('always yield answers Envoy accepts, on v3 and v2, and never serve an invalid label', () => {
    fc.assert(
      fc.property(
        fc.array(containerArb, { minLength: 1, maxLength: 8 }),
        optionsArb,
        (specs, options) => {
          const store = createSnapshotStore();
          specs.forEach((spec, index) => {
            const { record, bad: hasBadLabel } = toRecord(spec, index);
            const outcome = toContainerEndpoints(record, options);
            if (hasBadLabel) expect(outcome.kind).toBe('invalid');
            store.apply([
              [`docker:${record.id}`, outcome.kind === 'served' ? outcome.endpoints : []],
            ]);
          });
          const snapshot = store.current();
          for (const cluster of [...snapshot.clusters.keys(), 'never-labelled']) {
            for (const api of ['v3', 'v2'] as const) {
              const answer = answerDiscovery(
                snapshot,
                { versionInfo: undefined, resourceNames: [cluster] },
                api,
              );
              expect(answer.kind).toBe('response');
              if (answer.kind === 'response')
                expect(checkEdsResponse(answer.body.toString('utf8'), cluster, api)).toEqual([]);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
