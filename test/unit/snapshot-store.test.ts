import { describe, expect, it } from 'vitest';

import type { SnapshotChange } from '../../src/core/snapshot.js';
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
      { assignments: ['web'], services: ['web'], routeConfigurations: ['eds-agent', 'grpc/web'] },
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
