import { describe, expect, it } from 'vitest';

import {
  applyClusterEndpoints,
  buildClusterResource,
  EMPTY_SNAPSHOT,
  toClusterResource,
} from '../../src/core/index/snapshot.js';
import { createSnapshotStore } from '../../src/snapshot-store.js';
import { anEndpoint } from '../support/records.js';

const a = anEndpoint({ address: '10.0.0.1', hostname: 'web-1' });
const b = anEndpoint({ address: '10.0.0.2', hostname: 'web-2' });
const c = anEndpoint({ address: '10.0.0.3', hostname: 'web-3' });

describe('cluster versions', () => {
  it('are the same for the same endpoints', () => {
    expect(buildClusterResource('web', [a, b]).version).toBe(
      buildClusterResource('web', [a, b]).version,
    );
  });

  it('do not depend on the order endpoints arrive in', () => {
    expect(buildClusterResource('web', [c, a, b]).version).toBe(
      buildClusterResource('web', [a, b, c]).version,
    );
  });

  it('change when an endpoint changes', () => {
    const before = buildClusterResource('web', [a, b]).version;
    expect(buildClusterResource('web', [a, { ...b, health: 'draining' }]).version).not.toBe(before);
    expect(buildClusterResource('web', [a]).version).not.toBe(before);
  });

  it('differ between clusters with the same endpoints', () => {
    expect(buildClusterResource('web', [a]).version).not.toBe(
      buildClusterResource('api', [{ ...a, cluster: 'api' }]).version,
    );
  });

  it('are 16 hex digits derived only from content (so they survive restarts)', () => {
    expect(buildClusterResource('web', [a]).version).toMatch(/^[0-9a-f]{16}$/);
  });

  it('of an emptied cluster equal those of a cluster never seen', () => {
    const { snapshot: filled } = applyClusterEndpoints(EMPTY_SNAPSHOT, [['web', [a]]]);
    const { snapshot: emptied } = applyClusterEndpoints(filled, [['web', []]]);
    expect(toClusterResource(emptied, 'web').version).toBe(
      toClusterResource(EMPTY_SNAPSHOT, 'web').version,
    );
  });
});

describe('the snapshot store', () => {
  it('does not change another cluster when one cluster changes', () => {
    const store = createSnapshotStore();
    store.apply([
      ['docker:1', [a]],
      ['docker:2', [{ ...b, cluster: 'api' }]],
    ]);
    const apiBefore = store.current().clusters.get('api');
    const changed = store.apply([['docker:3', [c]]]);
    expect(changed).toEqual(['web']);
    // The very same object: caches keyed on it (serialized bodies) stay valid.
    expect(store.current().clusters.get('api')).toBe(apiBefore);
  });

  it('gives the same version whatever order containers were applied in', () => {
    const forward = createSnapshotStore();
    forward.apply([['docker:1', [a]]]);
    forward.apply([['docker:2', [b]]]);
    const backward = createSnapshotStore();
    backward.apply([['docker:2', [b]]]);
    backward.apply([['docker:1', [a]]]);
    expect(forward.current().clusters.get('web')?.version).toBe(
      backward.current().clusters.get('web')?.version,
    );
  });

  it('reports no change and keeps the snapshot when a container re-reports the same endpoints', () => {
    const store = createSnapshotStore();
    store.apply([['docker:1', [a]]]);
    const before = store.current();
    expect(store.apply([['docker:1', [{ ...a }]]])).toEqual([]);
    expect(store.current()).toBe(before);
  });

  it('drops a cluster whose last container leaves, and moves a container between clusters', () => {
    const store = createSnapshotStore();
    store.apply([['docker:1', [a]]]);
    expect(store.apply([['docker:1', [{ ...a, cluster: 'api' }]]])).toEqual(['api', 'web']);
    expect([...store.current().clusters.keys()]).toEqual(['api']);
    expect(store.apply([['docker:1', []]])).toEqual(['api']);
    expect(store.current().clusters.size).toBe(0);
  });

  it('stays partial until every awaited source is marked synced, keeping what was applied', () => {
    const store = createSnapshotStore({ awaiting: ['registrations', 'docker'] });
    store.apply([['api:web', [a]]]);
    store.markSynced('registrations');
    expect(store.current().awaiting).toEqual(['docker']);
    store.markSynced('registrations'); // again: no change
    expect(store.current().awaiting).toEqual(['docker']);
    store.apply([['docker:2', [b]]]);
    store.markSynced('docker');
    expect(store.current().awaiting).toEqual([]);
    expect(store.current().clusters.get('web')?.assignment.endpoints).toHaveLength(1);
    expect(store.current().clusters.get('web')?.assignment.endpoints[0]?.lb_endpoints).toHaveLength(
      2,
    );
  });
});
