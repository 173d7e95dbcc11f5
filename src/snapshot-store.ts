import type { Logger } from 'pino';

import type { Endpoint } from './core/endpoint.js';
import type { DomainCertificate } from './core/front-door/build-secret.js';
import type { FrontDoorSettings } from './core/front-door/front-door-settings.js';
import { ClusterIndex, type ServedEndpoints } from './core/index/cluster-index.js';
import { type ClusterDelta, Registry } from './core/index/registry.js';
import {
  applyCertificates,
  applyChallenges,
  applyClusterResources,
  applySourceSynced,
  type ClusterResource,
  NO_CHANGE,
  type Snapshot,
  type SnapshotChange,
  toAwaitingSnapshot,
  toClusterResourceOf,
  toRetainedClusterResource,
} from './core/index/snapshot.js';

/** One member's new contribution: `[member, endpoints]`, where `[]` withdraws the member. */
export type MemberChange = readonly [member: string, endpoints: readonly Endpoint[]];

/**
 * The one mutable cell: sources write member changes, transports read the current snapshot.
 * A batch updates each touched cluster once, however many members of it changed, and at the
 * cost of what changed (each cluster's `ClusterIndex`), not of the cluster's size.
 */
export interface SnapshotStore {
  current(): Snapshot;
  /**
   * Applies a batch now, after whatever `applySoon` queued, and returns the names of the
   * clusters whose assignment, Cluster or API listener changed (a change of routes alone
   * returns none).
   */
  apply(changes: readonly MemberChange[]): string[];
  /**
   * Queues a batch, applied with every other queued in this event-loop turn as one, at the end
   * of the turn: a burst of events updates each cluster once, and pushes one new version.
   */
  applySoon(changes: readonly MemberChange[]): void;
  /**
   * Records that `source` has applied its first full read (what is queued is applied first).
   * Call it right after that read's `apply`, in the same synchronous step, so no reader sees
   * one without the other.
   */
  markSynced(source: string): void;
  /**
   * Serves exactly `certificates` over SDS from now on (one secret per domain), and rebuilds the
   * front door's HTTPS listener on them.
   */
  applyCertificates(certificates: Iterable<DomainCertificate>): void;
  /**
   * Answers exactly `challenges` (ACME HTTP-01: token → key authorization) on the front
   * door's plain HTTP listener from now on.
   */
  applyChallenges(challenges: ReadonlyMap<string, string>): void;
  /**
   * Calls `listener` after every change of the snapshot (a batch that changed resources, or a
   * source marked synced, which changes none), with what changed. Returns the unsubscribe.
   */
  subscribe(listener: (change: SnapshotChange) => void): () => void;
}

export interface SnapshotStoreOptions {
  /**
   * With a logger, what a rebuild had to settle is logged, once per container and while it
   * lasts: a registered host shadowed by a Docker container at the same address, a container
   * whose labels lost to its service's other containers, a domain two services claim.
   */
  readonly logger?: Logger;
  /** Sources the snapshot is partial without (see `Snapshot.awaiting`). Defaults to none. */
  readonly awaiting?: readonly string[];
  /** The name of the route configuration served to Envoy. Defaults to `eds-agent`. */
  readonly routeConfigName?: string;
  /**
   * How long a service whose last endpoint went keeps its cluster and routes, with no
   * endpoints (`--route-grace`); 0 (the default) drops them at once.
   */
  readonly routeGraceMs?: number;
  /** The front door's listeners to serve (`--listen`); none by default. */
  readonly frontDoor?: FrontDoorSettings;
  /** The CA `eds.protocol=https` endpoints are verified against (`--upstream-ca`, PEM). */
  readonly upstreamCa?: string;
}

/** Creates an empty store, partial until every source in `awaiting` is marked synced. */
export function createSnapshotStore(options: SnapshotStoreOptions = {}): SnapshotStore {
  const { logger } = options;
  const registry = new Registry();
  /** One per cluster with endpoints: what keeps its resource up to date change by change. */
  const indexes = new Map<string, ClusterIndex>();
  /** What `applySoon` queued in this turn. */
  const queued: MemberChange[] = [];
  let snapshot = toAwaitingSnapshot(options.awaiting ?? [], options);
  const listeners = new Set<(change: SnapshotChange) => void>();
  const notify = (change: SnapshotChange) => {
    for (const listener of listeners) listener(change);
  };
  const conflicts = logger ? createConflictLog(logger) : undefined;
  const graceMs = options.routeGraceMs ?? 0;
  /** Clusters kept with no endpoints, each until its timer drops it. */
  const retained = new Map<string, NodeJS.Timeout>();
  /** Applies resources to the snapshot, logs what they settled, and tells the listeners. */
  const commit = (
    resources: readonly (readonly [string, ClusterResource | undefined])[],
    served: ReadonlyMap<string, ServedEndpoints>,
  ): string[] => {
    const before = snapshot;
    const { snapshot: after, change } = applyClusterResources(snapshot, resources);
    snapshot = after;
    conflicts?.report(before, after, served, (cluster) => registry.endpointsOf(cluster));
    if (after === before) return [];
    notify(change);
    return [...new Set([...change.assignments, ...change.services])].sort();
  };
  /** The resource of a cluster left with no endpoints: kept for the grace, or dropped. */
  const emptied = (cluster: string): ClusterResource | undefined => {
    const last = snapshot.clusters.get(cluster);
    if (graceMs === 0 || last === undefined) return undefined;
    clearTimeout(retained.get(cluster));
    const timer = setTimeout(() => {
      retained.delete(cluster);
      if (!indexes.has(cluster)) commit([[cluster, undefined]], new Map());
    }, graceMs);
    timer.unref();
    retained.set(cluster, timer);
    return toRetainedClusterResource(last);
  };
  /** Applies a change of the snapshot that is not of endpoints, after what is queued. */
  const applyStep = (
    step: (current: Snapshot) => { snapshot: Snapshot; change: SnapshotChange },
  ) => {
    if (queued.length > 0) store.apply([]);
    const applied = step(snapshot);
    if (applied.snapshot === snapshot) return;
    snapshot = applied.snapshot;
    notify(applied.change);
  };
  const store: SnapshotStore = {
    current: () => snapshot,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    markSynced(source) {
      if (queued.length > 0) store.apply([]);
      const before = snapshot;
      snapshot = applySourceSynced(snapshot, source);
      if (snapshot !== before) notify(NO_CHANGE);
    },
    apply(given) {
      const changes = queued.length > 0 ? [...queued.splice(0), ...given] : given;
      const deltas = new Map<string, ClusterDelta>();
      for (const [member, endpoints] of changes) registry.apply(member, endpoints, deltas);
      const served = new Map<string, ServedEndpoints>();
      const resources: [string, ClusterResource | undefined][] = [];
      for (const [cluster, { added, removed }] of deltas) {
        if (added.size === 0 && removed.size === 0) continue;
        const index = indexes.get(cluster) ?? new ClusterIndex(cluster);
        const now = index.apply([...added], [...removed]);
        served.set(cluster, now);
        if (now.size === 0) {
          indexes.delete(cluster);
          resources.push([cluster, emptied(cluster)]);
          continue;
        }
        indexes.set(cluster, index);
        clearTimeout(retained.get(cluster));
        retained.delete(cluster);
        resources.push([cluster, toClusterResourceOf(cluster, now)]);
      }
      return commit(resources, served);
    },
    applyCertificates(certificates) {
      applyStep((current) => applyCertificates(current, certificates));
    },
    applyChallenges(challenges) {
      applyStep((current) => applyChallenges(current, challenges));
    },
    applySoon(changes) {
      if (queued.length === 0)
        setImmediate(() => {
          if (queued.length > 0) store.apply([]);
        });
      queued.push(...changes);
    },
  };
  return store;
}

/**
 * Logs each conflict a rebuild settled once, with the cluster and the container it is about,
 * and again only if it goes away and comes back.
 */
function createConflictLog(logger: Logger) {
  /** Per cluster and kind, the conflicts logged and still standing. */
  const standing = new Map<string, Set<string>>();
  const refresh = (
    key: string,
    cluster: string,
    now: readonly { fields: object; message: string }[],
  ) => {
    const seen = standing.get(key) ?? new Set<string>();
    const next = new Set<string>();
    for (const { fields, message } of now) {
      const key = `${JSON.stringify(fields)} ${message}`;
      if (!seen.has(key)) logger.warn({ cluster, ...fields }, message);
      next.add(key);
    }
    if (next.size > 0) standing.set(key, next);
    else standing.delete(key);
  };
  return {
    report(
      before: Snapshot,
      after: Snapshot,
      served: ReadonlyMap<string, ServedEndpoints>,
      endpointsOf: (cluster: string) => readonly Endpoint[],
    ): void {
      for (const [cluster, now] of served) {
        const options = now.resolved.conflicts.map((conflict) => ({
          fields: { container: conflict.containerId, containerName: conflict.container },
          message: `service options: ${conflict.message}`,
        }));
        const shadowed = now.shadowed.map((endpoint) => ({
          fields: { address: `${endpoint.address}:${endpoint.port}` },
          message: 'registered host has the address of a Docker container; serving the container',
        }));
        refresh(`endpoints ${cluster}`, cluster, [...options, ...shadowed]);
      }
      if (after.routes === before.routes) return;
      const lost = new Map<string, string[]>();
      for (const conflict of after.routes.conflicts) {
        lost.set(conflict.service, [...(lost.get(conflict.service) ?? []), conflict.message]);
      }
      for (const cluster of new Set([...lost.keys(), ...routeConflictClusters(before)])) {
        const messages = lost.get(cluster) ?? [];
        refresh(
          `routes ${cluster}`,
          cluster,
          endpointsOf(cluster).flatMap((endpoint) =>
            messages.map((message) => ({
              fields:
                endpoint.source === 'docker'
                  ? { container: endpoint.containerId, containerName: endpoint.hostname }
                  : { address: `${endpoint.address}:${endpoint.port}` },
              message: `routes: ${message}`,
            })),
          ),
        );
      }
    },
  };
}

function routeConflictClusters(snapshot: Snapshot): string[] {
  return snapshot.routes.conflicts.map((conflict) => conflict.service);
}
