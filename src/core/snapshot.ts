import {
  buildClusterLoadAssignment,
  type ClusterLoadAssignment,
} from './build-cluster-load-assignment.js';
import { resolveClusterOptions, type ClusterOptions } from './build-cluster.js';
import { computeVersion } from './compute-version.js';
import type { Endpoint } from './endpoint.js';

/** One cluster's assignment and its content-derived version, and its options. Immutable. */
export interface ClusterResource {
  readonly name: string;
  /** The assignment's version: the same endpoints, the same version (the options are not in it). */
  readonly version: string;
  readonly assignment: ClusterLoadAssignment;
  /** How its containers' labels tune the cluster (served over CDS). */
  readonly options: ClusterOptions;
  /** Where its containers' labels disagree on `options`, and which value won. */
  readonly conflicts: readonly string[];
}

/**
 * Everything the transports serve, at one instant: clusters that have endpoints, by name.
 * Immutable; a change produces a new snapshot that shares every untouched ClusterResource,
 * so caches keyed on a resource stay valid until that cluster really changes.
 */
export interface Snapshot {
  readonly clusters: ReadonlyMap<string, ClusterResource>;
  /**
   * Sources whose first full read is not in yet, in the order they were named. While any is
   * listed the snapshot is partial: a cluster missing from it may only be unread, so a
   * transport must not present it as empty (Envoy would drop every host it has).
   */
  readonly awaiting: readonly string[];
}

/** A complete snapshot with no clusters. */
export const EMPTY_SNAPSHOT: Snapshot = { clusters: new Map(), awaiting: [] };

/** An empty snapshot that is partial until each of `sources` has been marked synced. */
export function toAwaitingSnapshot(sources: readonly string[]): Snapshot {
  return { clusters: new Map(), awaiting: [...sources] };
}

/** Returns a snapshot in which `source` has completed its first full read (`snapshot` itself if it had). */
export function applySourceSynced(snapshot: Snapshot, source: string): Snapshot {
  if (!snapshot.awaiting.includes(source)) return snapshot;
  return { ...snapshot, awaiting: snapshot.awaiting.filter((name) => name !== source) };
}

/** Builds a cluster's resource from its endpoints (none → an assignment that empties it). */
export function buildClusterResource(
  name: string,
  endpoints: readonly Endpoint[],
): ClusterResource {
  const assignment = buildClusterLoadAssignment(name, endpoints);
  const { options, conflicts } = resolveClusterOptions(endpoints);
  return { name, version: computeVersion(assignment), assignment, options, conflicts };
}

/**
 * The resource served for `name`: the snapshot's, or an empty assignment for a cluster with no
 * endpoints, which has the same version it would have if it had been emptied.
 */
export function toClusterResource(snapshot: Snapshot, name: string): ClusterResource {
  return snapshot.clusters.get(name) ?? buildClusterResource(name, []);
}

/**
 * Returns a snapshot with each given cluster's endpoints replaced. A cluster whose content is
 * unchanged keeps its resource object; one left with no endpoints is dropped. Returns `snapshot`
 * itself when nothing changed.
 */
export function applyClusterEndpoints(
  snapshot: Snapshot,
  updates: Iterable<readonly [cluster: string, endpoints: readonly Endpoint[]]>,
): { snapshot: Snapshot; changed: string[] } {
  const clusters = new Map(snapshot.clusters);
  const changed: string[] = [];
  for (const [name, endpoints] of updates) {
    const before = snapshot.clusters.get(name);
    if (endpoints.length === 0) {
      if (clusters.delete(name)) changed.push(name);
      continue;
    }
    const after = buildClusterResource(name, endpoints);
    if (before?.version === after.version && sameOptions(before.options, after.options)) continue;
    clusters.set(name, after);
    changed.push(name);
  }
  return {
    snapshot: changed.length === 0 ? snapshot : { ...snapshot, clusters },
    changed: changed.sort(),
  };
}

function sameOptions(a: ClusterOptions, b: ClusterOptions): boolean {
  return a.lbPolicy === b.lbPolicy && a.connectTimeout === b.connectTimeout;
}
