import { toTcpListenerName } from '../../core/envoy/build-listener.js';
import type {
  ClusterResource,
  Snapshot,
  SnapshotChange,
  Versioned,
} from '../../core/index/snapshot.js';
import { toClusterResource } from '../../core/index/snapshot.js';
import {
  CLUSTER_LOAD_ASSIGNMENT_TYPE_URL,
  CLUSTER_TYPE_URL,
  LISTENER_TYPE_URL,
  ROUTE_CONFIGURATION_TYPE_URL,
  SECRET_TYPE_URL,
} from '../../core/type-urls.js';

/** What a type's functions may use: the snapshot, and the caches shared by every type. */
export interface XdsTypeContext {
  readonly snapshot: Snapshot;
  /** The keys of `map`, sorted, computed once per map. */
  readonly namesOf: (map: ReadonlyMap<string, unknown>) => readonly string[];
}

/** A served resource before it is packed: a `Versioned` JSON (packed once per version), or a ClusterLoadAssignment. */
export type XdsResourceSource =
  | { readonly kind: 'json'; readonly resource: Versioned<object> }
  | { readonly kind: 'assignment'; readonly resource: ClusterResource; readonly known: boolean };

/**
 * Everything the server knows of one xDS resource type, in one row: adding a type (SDS's
 * `Secret`, say) is one more row here, and the protocol, the resource builder and the server
 * read it from the table.
 */
export interface XdsType {
  readonly typeUrl: string;
  /** The gRPC service that serves this type alone (besides ADS), and its short name for metrics. */
  readonly service: { readonly short: string; readonly name: string; readonly resources: string };
  /**
   * A state-of-the-world response holds every subscribed resource: one missing from it is
   * deleted (clusters and listeners). Otherwise a response holds a subset.
   */
  readonly wholeSet: boolean;
  /**
   * After a response of this type, `owes` is owed a response at its next request, changed or
   * not: after new clusters, Envoy asks again for their endpoints and keeps the clusters
   * warming until it gets them.
   */
  readonly owes?: string;
  /**
   * Its resources name resources of other types (listeners and routes name clusters): when
   * services go away they are pushed first, so that no client holds a dangling reference.
   */
  readonly refers: boolean;
  /** The names of this type a snapshot change touched. */
  changed(change: SnapshotChange): readonly string[];
  /** Every resource name a wildcard subscription gets, sorted. */
  names(context: XdsTypeContext): readonly string[];
  /** Whether the resource `name` exists. */
  has(context: XdsTypeContext, name: string): boolean;
  /** The resource `name`, if it exists (an EDS name always does: an empty assignment). */
  resource(context: XdsTypeContext, name: string): XdsResourceSource | undefined;
}

const TCP_PREFIX = toTcpListenerName('');

/** The TCP listener named `name` (`tcp/<service>`), if its service has one. */
function tcpListenerOf(snapshot: Snapshot, name: string) {
  if (!name.startsWith(TCP_PREFIX)) return undefined;
  return snapshot.services.get(name.slice(TCP_PREFIX.length))?.tcpListener;
}

const json = (resource: Versioned<object> | undefined): XdsResourceSource | undefined =>
  resource && { kind: 'json', resource };

const tcpNames = new WeakMap<ReadonlyMap<string, unknown>, readonly string[]>();
const clusterNames = new WeakMap<Snapshot, readonly string[]>();

/** The cluster named `name`: a service's, or one the front door reaches an outside host by. */
function clusterOf(snapshot: Snapshot, name: string): Versioned<object> | undefined {
  return snapshot.services.get(name)?.cluster ?? snapshot.frontDoor?.outside.get(name);
}

/** The listener named `name`: the front door's, or a service's TCP listener. */
function listenerOf(snapshot: Snapshot, name: string) {
  return snapshot.frontDoor?.listeners.get(name) ?? tcpListenerOf(snapshot, name);
}

/** The served route configurations: the agent's, the front door's HTTP one, each service's gRPC one. */
function routeOf(snapshot: Snapshot, name: string) {
  if (name === snapshot.routes.json.name) return snapshot.routes;
  const front = snapshot.frontDoor?.httpRoutes;
  if (name === front?.json.name) return front;
  const routes = snapshot.services.get(name.slice(name.indexOf('/') + 1))?.grpcRoutes;
  return routes?.json.name === name ? routes : undefined;
}

/** The types served, in the order a change that removes nothing is pushed. */
export const XDS_TYPES: readonly XdsType[] = [
  {
    typeUrl: CLUSTER_TYPE_URL,
    service: { short: 'cds', name: 'cluster.v3.ClusterDiscoveryService', resources: 'Clusters' },
    wholeSet: true,
    owes: CLUSTER_LOAD_ASSIGNMENT_TYPE_URL,
    refers: false,
    // A service's cluster is named after it; the front door's own are `outside/<host>:<port>`.
    changed: (change) => [...change.services, ...change.outside],
    names: ({ snapshot, namesOf }) => {
      const outside = snapshot.frontDoor?.outside;
      if (!outside || outside.size === 0) return namesOf(snapshot.services);
      let names = clusterNames.get(snapshot);
      if (!names) {
        names = [...namesOf(snapshot.services), ...namesOf(outside)].sort();
        clusterNames.set(snapshot, names);
      }
      return names;
    },
    has: ({ snapshot }, name) => clusterOf(snapshot, name) !== undefined,
    resource: ({ snapshot }, name) => json(clusterOf(snapshot, name)),
  },
  {
    typeUrl: CLUSTER_LOAD_ASSIGNMENT_TYPE_URL,
    service: { short: 'eds', name: 'endpoint.v3.EndpointDiscoveryService', resources: 'Endpoints' },
    wholeSet: false,
    refers: false,
    changed: (change) => change.assignments,
    names: ({ snapshot, namesOf }) => namesOf(snapshot.clusters),
    has: ({ snapshot }, name) => snapshot.clusters.has(name),
    resource: ({ snapshot }, name) => ({
      kind: 'assignment',
      resource: toClusterResource(snapshot, name),
      known: snapshot.clusters.has(name),
    }),
  },
  {
    typeUrl: SECRET_TYPE_URL,
    service: { short: 'sds', name: 'secret.v3.SecretDiscoveryService', resources: 'Secrets' },
    wholeSet: false,
    refers: false,
    changed: (change) => change.secrets,
    names: ({ snapshot, namesOf }) => namesOf(snapshot.secrets),
    has: ({ snapshot }, name) => snapshot.secrets.has(name),
    resource: ({ snapshot }, name) => json(snapshot.secrets.get(name)),
  },
  {
    typeUrl: LISTENER_TYPE_URL,
    service: { short: 'lds', name: 'listener.v3.ListenerDiscoveryService', resources: 'Listeners' },
    wholeSet: true,
    refers: true,
    // A service's API listener is named after it, its TCP listener `tcp/<service>`; the front
    // door's are `front/http` and `front/https`.
    changed: (change) => [
      ...change.listeners,
      ...change.services,
      ...change.services.map(toTcpListenerName),
    ],
    // A wildcard subscription gets the front door's listeners and the TCP listeners, Envoy's
    // (`front/` sorts before `tcp/`). An API listener is for the gRPC client that names it
    // (`xds:///<service>`); Envoy takes none over LDS.
    names: ({ snapshot, namesOf }) => {
      let names = tcpNames.get(snapshot.services);
      if (!names) {
        names = namesOf(snapshot.services).flatMap((service) =>
          snapshot.services.get(service)?.tcpListener ? [toTcpListenerName(service)] : [],
        );
        tcpNames.set(snapshot.services, names);
      }
      const front = snapshot.frontDoor?.listeners;
      return front && front.size > 0 ? [...namesOf(front), ...names] : names;
    },
    has: ({ snapshot }, name) => listenerOf(snapshot, name) !== undefined,
    resource: ({ snapshot }, name) =>
      json(listenerOf(snapshot, name) ?? snapshot.services.get(name)?.listener),
  },
  {
    typeUrl: ROUTE_CONFIGURATION_TYPE_URL,
    service: { short: 'rds', name: 'route.v3.RouteDiscoveryService', resources: 'Routes' },
    wholeSet: false,
    refers: true,
    changed: (change) => change.routeConfigurations,
    names: ({ snapshot, namesOf }) => [
      snapshot.routes.json.name,
      ...(snapshot.frontDoor?.httpRoutes ? [snapshot.frontDoor.httpRoutes.json.name] : []),
      ...namesOf(snapshot.services).map(
        (name) => snapshot.services.get(name)?.grpcRoutes.json.name ?? name,
      ),
    ],
    has: ({ snapshot }, name) => routeOf(snapshot, name) !== undefined,
    resource: ({ snapshot }, name) => json(routeOf(snapshot, name)),
  },
];

/** Each type by its URL. */
export const XDS_TYPE_BY_URL: ReadonlyMap<string, XdsType> = new Map(
  XDS_TYPES.map((type) => [type.typeUrl, type]),
);
