import { describe, expect, it, vi } from 'vitest';

import type { SnapshotChange } from '../../src/core/index/snapshot.js';
import { createSnapshotStore } from '../../src/snapshot-store.js';
import { anEndpoint } from '../support/records.js';

const web = (address: string) => anEndpoint({ address });
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('the snapshot store, batching a turn', () => {
  it('applies every batch queued in one turn as one: one new version, one notification', async () => {
    const store = createSnapshotStore();
    const changes: SnapshotChange[] = [];
    store.subscribe((change) => changes.push(change));
    for (let i = 1; i <= 20; i++) store.applySoon([[`docker:${i}`, [web(`10.0.0.${i}`)]]]);
    expect(store.current().clusters.has('web')).toBe(false); // not before the end of the turn
    await nextTurn();
    expect(store.current().clusters.get('web')?.endpoints).toHaveLength(20);
    expect(changes).toEqual([
      {
        assignments: ['web'],
        services: ['web'],
        outside: [],
        routeConfigurations: ['eds-agent', 'grpc/web'],
        listeners: [],
        secrets: [],
      },
    ]);
  });

  it('applies what is queued before a batch applied at once, so the order of changes holds', () => {
    const store = createSnapshotStore();
    store.applySoon([['docker:1', [web('10.0.0.1')]]]);
    store.apply([['docker:1', []]]);
    expect(store.current().clusters.has('web')).toBe(false);
  });

  it('applies what is queued before marking a source synced', () => {
    const store = createSnapshotStore({ awaiting: ['docker'] });
    store.applySoon([['docker:1', [web('10.0.0.1')]]]);
    store.markSynced('docker');
    expect(store.current().awaiting).toEqual([]);
    expect(store.current().clusters.get('web')?.endpoints).toHaveLength(1);
  });
});

describe('a service whose last endpoint went, with a route grace', () => {
  const GRACE_MS = 300_000;

  it('keeps its cluster and routes with no endpoints for the grace, then drops them', () => {
    vi.useFakeTimers();
    try {
      const store = createSnapshotStore({ routeGraceMs: GRACE_MS });
      store.apply([['docker:1', [web('10.0.0.1')]]]);
      const routes = store.current().routes;
      const cluster = store.current().services.get('web')?.cluster;

      expect(store.apply([['docker:1', []]])).toEqual(['web']);
      const kept = store.current();
      expect(kept.clusters.get('web')?.assignment).toEqual({ cluster_name: 'web', endpoints: [] });
      expect(kept.services.get('web')?.cluster).toBe(cluster);
      expect(kept.routes).toBe(routes);

      const changes: SnapshotChange[] = [];
      store.subscribe((change) => changes.push(change));
      vi.advanceTimersByTime(GRACE_MS - 1);
      expect(changes).toEqual([]);
      vi.advanceTimersByTime(1);
      expect(store.current().clusters.has('web')).toBe(false);
      expect(store.current().services.has('web')).toBe(false);
      expect(changes).toEqual([
        {
          assignments: ['web'],
          services: ['web'],
          outside: [],
          routeConfigurations: ['eds-agent', 'grpc/web'],
          listeners: [],
          secrets: [],
        },
      ]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('serves a container back within the grace with no change of cluster or routes', () => {
    vi.useFakeTimers();
    try {
      const store = createSnapshotStore({ routeGraceMs: GRACE_MS });
      store.apply([['docker:1', [web('10.0.0.1')]]]);
      store.apply([['docker:1', []]]);
      const changes: SnapshotChange[] = [];
      store.subscribe((change) => changes.push(change));
      vi.advanceTimersByTime(GRACE_MS / 2);
      store.apply([['docker:2', [web('10.0.0.2')]]]);
      vi.advanceTimersByTime(GRACE_MS);
      expect(changes).toEqual([
        {
          assignments: ['web'],
          services: [],
          outside: [],
          routeConfigurations: [],
          listeners: [],
          secrets: [],
        },
      ]);
      expect(store.current().clusters.get('web')?.endpoints).toHaveLength(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('drops them at once with no grace, as before', () => {
    const store = createSnapshotStore();
    store.apply([['docker:1', [web('10.0.0.1')]]]);
    store.apply([['docker:1', []]]);
    expect(store.current().services.has('web')).toBe(false);
  });
});
