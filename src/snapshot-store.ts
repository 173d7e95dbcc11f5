import type { Logger } from 'pino';

import { findShadowedEndpoints } from './core/build-cluster-load-assignment.js';
import type { Endpoint } from './core/endpoint.js';
import { Registry } from './core/registry.js';
import {
  applyClusterEndpoints,
  applySourceSynced,
  toAwaitingSnapshot,
  type Snapshot,
} from './core/snapshot.js';

/** One member's new contribution: `[member, endpoints]`, where `[]` withdraws the member. */
export type MemberChange = readonly [member: string, endpoints: readonly Endpoint[]];

/**
 * The one mutable cell: sources write member changes, transports read the current snapshot.
 * A batch rebuilds each touched cluster once, however many members of it changed.
 */
export interface SnapshotStore {
  current(): Snapshot;
  /** Applies a batch and returns the names of the clusters whose version changed. */
  apply(changes: readonly MemberChange[]): string[];
  /**
   * Records that `source` has applied its first full read. Call it right after that read's
   * `apply`, in the same synchronous step, so no reader sees one without the other.
   */
  markSynced(source: string): void;
  /**
   * Calls `listener` after every change of the snapshot (a batch that changed clusters, or a
   * source marked synced), with the clusters whose version changed. Returns the unsubscribe.
   */
  subscribe(listener: (changed: readonly string[]) => void): () => void;
}

export interface SnapshotStoreOptions {
  /**
   * With a logger, a rebuilt cluster in which a registered host is shadowed by a Docker
   * container at the same address says so, once per rebuild.
   */
  readonly logger?: Logger;
  /** Sources the snapshot is partial without (see `Snapshot.awaiting`). Defaults to none. */
  readonly awaiting?: readonly string[];
}

/** Creates an empty store, partial until every source in `awaiting` is marked synced. */
export function createSnapshotStore(options: SnapshotStoreOptions = {}): SnapshotStore {
  const { logger } = options;
  const registry = new Registry();
  let snapshot = toAwaitingSnapshot(options.awaiting ?? []);
  const listeners = new Set<(changed: readonly string[]) => void>();
  const notify = (changed: readonly string[]) => {
    for (const listener of listeners) listener(changed);
  };
  return {
    current: () => snapshot,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    markSynced(source) {
      const before = snapshot;
      snapshot = applySourceSynced(snapshot, source);
      if (snapshot !== before) notify([]);
    },
    apply(changes) {
      const touched = new Set<string>();
      for (const [member, endpoints] of changes) {
        for (const cluster of registry.apply(member, endpoints)) touched.add(cluster);
      }
      const updates = new Map(
        [...touched].map((cluster) => [cluster, registry.endpointsOf(cluster)]),
      );
      const result = applyClusterEndpoints(snapshot, updates);
      snapshot = result.snapshot;
      if (logger) {
        for (const cluster of result.changed) {
          for (const conflict of snapshot.clusters.get(cluster)?.conflicts ?? [])
            logger.warn({ cluster }, `cluster options: ${conflict}`);
          for (const shadowed of findShadowedEndpoints(updates.get(cluster) ?? [])) {
            logger.warn(
              { cluster, address: `${shadowed.address}:${shadowed.port}` },
              'registered host has the address of a Docker container; serving the container',
            );
          }
        }
      }
      if (result.changed.length > 0) notify(result.changed);
      return result.changed;
    },
  };
}
