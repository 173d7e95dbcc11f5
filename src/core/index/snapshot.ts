import type { Endpoint } from '../endpoint.js';
import { buildCluster, type ClusterJson } from '../envoy/build-cluster.js';
import {
  buildApiListener,
  buildTcpListener,
  type ListenerJson,
  type TcpListenerJson,
} from '../envoy/build-listener.js';
import {
  buildGrpcRouteConfiguration,
  buildRouteConfiguration,
  DEFAULT_ROUTE_CONFIG_NAME,
  type RouteClaimant,
  type RouteConfigurationJson,
  type RouteConflict,
} from '../envoy/build-route-configuration.js';
import { settleTcpPorts } from '../envoy/settle-tcp-ports.js';
import {
  buildSecret,
  type DomainCertificate,
  type SecretJson,
} from '../front-door/build-secret.js';
import type { FrontDoorSettings } from '../front-door/front-door-settings.js';
import {
  DEFAULT_SERVICE_OPTIONS,
  type OptionConflict,
  type ServiceOptions,
} from '../labels/service-options.js';
import {
  type ClusterLoadAssignment,
  toClusterLoadAssignment,
} from './build-cluster-load-assignment.js';
import { ClusterIndex, EMPTY_CLUSTER_VERSION, type ServedEndpoints } from './cluster-index.js';
import {
  frontDoorChanges,
  type FrontDoorResources,
  toFrontDoorResources,
} from './front-door-resources.js';
import type { LocalityGroup } from './locality-group.js';
import { sameServiceOptions } from './resolve-service-options.js';
import { changedVersions, toVersioned, type Versioned } from './versioned.js';

export type { Versioned } from './versioned.js';

/** One cluster's assignment and its content-derived version, and its options. Immutable. */
export interface ClusterResource {
  readonly name: string;
  /** The assignment's version: the same endpoints, the same version (the options are not in it). */
  readonly version: string;
  /** What it serves, grouped as the assignment lists it. */
  readonly localities: readonly LocalityGroup[];
  /** The assignment in Envoy's words (built when first read). */
  readonly assignment: ClusterLoadAssignment;
  /** The endpoints the assignment serves (each address once), in its order (built when first read). */
  readonly endpoints: readonly Endpoint[];
  /** How its containers' labels tune the service (its cluster and routes). */
  readonly options: ServiceOptions;
  /** When its oldest container was created: the age of its domain claims (none: unknown). */
  readonly since: number | undefined;
  /** The containers whose labels for `options` lost to what the others set. */
  readonly conflicts: readonly OptionConflict[];
  /** Registered endpoints not served because a Docker container has their address. */
  readonly shadowed: readonly Endpoint[];
}

/** What a service is besides its endpoints, each resource with its own version. */
export interface ServiceResources {
  /** Its Envoy `Cluster` (CDS). */
  readonly cluster: Versioned<ClusterJson>;
  /** Its API listener (LDS), for proxyless gRPC clients. */
  readonly listener: Versioned<ListenerJson>;
  /** Its TCP listener (LDS, `tcp/<service>`), for Envoy, when `eds.tcp_port` asks for one. */
  readonly tcpListener: Versioned<TcpListenerJson> | undefined;
  /** The route configuration its API listener names (RDS). */
  readonly grpcRoutes: Versioned<RouteConfigurationJson>;
}

/** The route configuration Envoy's listener names, and the domain claims it had to settle. */
export interface RoutesResource extends Versioned<RouteConfigurationJson> {
  readonly conflicts: readonly RouteConflict[];
}

/**
 * Everything the transports serve, at one instant: clusters that have endpoints, by name, the
 * resources of each such service, and the route configuration over all of them. Immutable; a
 * change produces a new snapshot that shares every untouched resource, so caches keyed on a
 * resource object stay valid until that resource really changes.
 */
export interface Snapshot {
  readonly clusters: ReadonlyMap<string, ClusterResource>;
  /** The same keys as `clusters`. */
  readonly services: ReadonlyMap<string, ServiceResources>;
  readonly routes: RoutesResource;
  /** The agent's own listeners for Envoy (`--listen`); undefined when it serves none. */
  readonly frontDoor: FrontDoorResources | undefined;
  /** The certificates served over SDS, by secret name (`tls/<domain>`). */
  readonly secrets: ReadonlyMap<string, Versioned<SecretJson>>;
  /** The CA `eds.protocol=https` endpoints are verified against (`--upstream-ca`). */
  readonly upstreamCa: string | undefined;
  /**
   * Sources whose first full read is not in yet, in the order they were named. While any is
   * listed the snapshot is partial: a cluster missing from it may only be unread, so a
   * transport must not present it as empty (Envoy would drop every host it has).
   */
  readonly awaiting: readonly string[];
}

/** The names, per kind of resource, whose version changed (appearing and disappearing count). */
export interface SnapshotChange {
  /** ClusterLoadAssignments, by cluster name. */
  readonly assignments: readonly string[];
  /** Clusters and API listeners (both named after their service). */
  readonly services: readonly string[];
  /** The front door's own clusters (`outside/<host>:<port>`, an auth host outside the stack). */
  readonly outside: readonly string[];
  /** Route configurations, by their own names. */
  readonly routeConfigurations: readonly string[];
  /** The front door's listeners (`front/http`, `front/https`). */
  readonly listeners: readonly string[];
  /** Secrets, by name. */
  readonly secrets: readonly string[];
}

/** A change of nothing. */
export const NO_CHANGE: SnapshotChange = {
  assignments: [],
  services: [],
  outside: [],
  routeConfigurations: [],
  listeners: [],
  secrets: [],
};

/** A complete snapshot with no clusters. */
export const EMPTY_SNAPSHOT: Snapshot = toAwaitingSnapshot([]);

/** What a snapshot is built with, besides what the sources bring. */
export interface SnapshotSettings {
  /** The name of the agent's route configuration; `eds-agent` by default. */
  readonly routeConfigName?: string;
  /** The front door's listeners (`--listen`); none by default. */
  readonly frontDoor?: FrontDoorSettings | undefined;
  /** The CA the endpoints of `eds.protocol=https` services must chain to (`--upstream-ca`, PEM). */
  readonly upstreamCa?: string | undefined;
}

/**
 * An empty snapshot that is partial until each of `sources` has been marked synced; its route
 * configuration (with no virtual host yet) is named `settings.routeConfigName`; with a front
 * door, it serves the front door's listeners.
 */
export function toAwaitingSnapshot(
  sources: readonly string[],
  settings: SnapshotSettings = {},
): Snapshot {
  const routes = toRoutesResource(settings.routeConfigName ?? DEFAULT_ROUTE_CONFIG_NAME, []);
  const { frontDoor } = settings;
  return {
    clusters: new Map(),
    services: new Map(),
    routes,
    frontDoor:
      frontDoor &&
      toFrontDoorResources(
        settings.upstreamCa === undefined
          ? frontDoor
          : { ...frontDoor, upstreamCa: settings.upstreamCa },
        routes,
        () => undefined,
        new Set(),
      ),
    secrets: new Map(),
    upstreamCa: settings.upstreamCa,
    awaiting: [...sources],
  };
}

/**
 * Returns a snapshot serving exactly `certificates` over SDS (a secret each, `tls/<domain>`),
 * and its front door rebuilt on them; secrets whose content is unchanged keep their objects.
 * Returns `snapshot` itself, and no change, when nothing changed.
 */
export function applyCertificates(
  snapshot: Snapshot,
  certificates: Iterable<DomainCertificate>,
): { snapshot: Snapshot; change: SnapshotChange } {
  const secrets = new Map<string, Versioned<SecretJson>>();
  for (const certificate of certificates) {
    const json = buildSecret(certificate);
    const held = snapshot.secrets.get(json.name);
    // The same certificate served again (every pass serves them all): no new hash of it.
    const same =
      held?.json.tls_certificate.certificate_chain.inline_string === certificate.certificateChain &&
      held.json.tls_certificate.private_key.inline_string === certificate.privateKey;
    secrets.set(json.name, held && same ? held : toVersioned(json, held));
  }
  const changed = changedVersions(snapshot.secrets, secrets);
  if (changed.length === 0) return { snapshot, change: NO_CHANGE };
  const frontDoor = rebuildFrontDoor(
    snapshot.frontDoor,
    snapshot.routes,
    snapshot.clusters,
    secrets,
  );
  const front = frontDoorChanges(snapshot.frontDoor, frontDoor);
  return {
    snapshot: { ...snapshot, secrets, frontDoor },
    change: { ...NO_CHANGE, ...front, secrets: changed },
  };
}

/**
 * Returns a snapshot whose front door answers exactly `challenges` (ACME HTTP-01: token → key
 * authorization) on its plain HTTP listener (in every virtual host: with none yet, they are
 * kept for the first). Returns `snapshot` itself, and no change, when it has no front door or
 * the challenges are the same.
 */
export function applyChallenges(
  snapshot: Snapshot,
  challenges: ReadonlyMap<string, string>,
): { snapshot: Snapshot; change: SnapshotChange } {
  const before = snapshot.frontDoor;
  if (before === undefined) return { snapshot, change: NO_CHANGE };
  const same =
    challenges.size === before.challenges.size &&
    [...challenges].every(([token, answer]) => before.challenges.get(token) === answer);
  if (same) return { snapshot, change: NO_CHANGE };
  const { routes, clusters, secrets } = snapshot;
  const frontDoor = rebuildFrontDoor(before, routes, clusters, secrets, new Map(challenges));
  const front = frontDoorChanges(before, frontDoor);
  return { snapshot: { ...snapshot, frontDoor }, change: { ...NO_CHANGE, ...front } };
}

/**
 * The front door over `routes`, `clusters`' options, `secrets` and `challenges` (by default
 * `before`'s), reusing `before`'s unchanged objects.
 */
function rebuildFrontDoor(
  before: FrontDoorResources | undefined,
  routes: RoutesResource,
  clusters: ReadonlyMap<string, ClusterResource>,
  secrets: ReadonlyMap<string, unknown>,
  challenges?: ReadonlyMap<string, string>,
): FrontDoorResources | undefined {
  if (before === undefined) return undefined;
  const optionsOf = (service: string) => clusters.get(service)?.options;
  const secretNames = new Set(secrets.keys());
  return toFrontDoorResources(
    before.settings,
    routes,
    optionsOf,
    secretNames,
    before,
    challenges,
    clusters.values(),
  );
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
  return endpoints.length === 0
    ? emptyClusterResource(name)
    : toClusterResourceOf(name, new ClusterIndex(name).apply(endpoints, []));
}

/** A cluster's resource from what its `ClusterIndex` says it serves. */
export function toClusterResourceOf(name: string, served: ServedEndpoints): ClusterResource {
  let assignment: ClusterLoadAssignment | undefined;
  let endpoints: readonly Endpoint[] | undefined;
  const { localities } = served;
  return {
    name,
    version: served.version,
    localities,
    get assignment() {
      return (assignment ??= toClusterLoadAssignment(name, localities));
    },
    get endpoints() {
      return (endpoints ??= localities.flatMap((group) => group.members));
    },
    options: served.resolved.options,
    since: served.resolved.since,
    conflicts: served.resolved.conflicts,
    shadowed: served.shadowed,
  };
}

/**
 * A cluster with no endpoints: an assignment that empties it, versioned as one that was
 * emptied is. Cheap: a client may name thousands of clusters that do not exist.
 */
function emptyClusterResource(name: string): ClusterResource {
  return {
    name,
    version: EMPTY_CLUSTER_VERSION,
    localities: [],
    assignment: { cluster_name: name, endpoints: [] },
    endpoints: [],
    options: DEFAULT_SERVICE_OPTIONS,
    since: undefined,
    conflicts: [],
    shadowed: [],
  };
}

/**
 * What a cluster whose last endpoint went is served while its routes are kept (`--route-grace`):
 * no endpoints, so Envoy answers `503 no healthy upstream` rather than `404`, and its options,
 * so its Cluster and routes stay exactly as they were.
 */
export function toRetainedClusterResource(last: ClusterResource): ClusterResource {
  return { ...emptyClusterResource(last.name), options: last.options, since: last.since };
}

/**
 * A service's Cluster, API listener, TCP listener and gRPC route configuration, from its
 * options (and the CA its endpoints' certificates chain to, for `eds.protocol=https`).
 */
export function buildServiceResources(
  name: string,
  options: ServiceOptions,
  upstreamCa?: string,
): ServiceResources {
  return {
    cluster: toVersioned(buildCluster(name, options, upstreamCa)),
    listener: toVersioned(buildApiListener(name)),
    tcpListener:
      options.tcp_port === undefined
        ? undefined
        : toVersioned(buildTcpListener(name, options.tcp_port)),
    grpcRoutes: toVersioned(buildGrpcRouteConfiguration(name)),
  };
}

/**
 * The resource served for `name`: the snapshot's, or an empty assignment for a cluster with no
 * endpoints, which has the same version it would have if it had been emptied.
 */
export function toClusterResource(snapshot: Snapshot, name: string): ClusterResource {
  return snapshot.clusters.get(name) ?? buildClusterResource(name, []);
}

/** `applyClusterResources` with each cluster built from scratch from its endpoints. */
export function applyClusterEndpoints(
  snapshot: Snapshot,
  updates: Iterable<readonly [cluster: string, endpoints: readonly Endpoint[]]>,
): { snapshot: Snapshot; change: SnapshotChange } {
  return applyClusterResources(
    snapshot,
    [...updates].map(
      ([name, endpoints]) =>
        [name, endpoints.length === 0 ? undefined : buildClusterResource(name, endpoints)] as const,
    ),
  );
}

/**
 * Returns a snapshot with each given cluster's resource replaced (`undefined`: it has no
 * endpoints any more). A cluster whose content is unchanged keeps its resource objects; one
 * left with no endpoints is dropped, with its service's resources. The route configuration is
 * rebuilt when a service came, went or changed its options. Returns `snapshot` itself, and no
 * change, when nothing changed.
 */
export function applyClusterResources(
  snapshot: Snapshot,
  updates: Iterable<readonly [cluster: string, resource: ClusterResource | undefined]>,
): { snapshot: Snapshot; change: SnapshotChange } {
  const clusters = new Map(snapshot.clusters);
  const services = new Map(snapshot.services);
  const assignments: string[] = [];
  /** Services that came, went or changed their options. */
  const touched: string[] = [];
  /** Whether a service's oldest container changed: its claims may win or lose. */
  let claimsChanged = false;
  for (const [name, after] of updates) {
    const before = snapshot.clusters.get(name);
    if (after === undefined) {
      if (clusters.delete(name)) assignments.push(name);
      if (services.delete(name)) touched.push(name);
      continue;
    }
    const sameOptions = before !== undefined && sameServiceOptions(before.options, after.options);
    const sameSince = before?.since === after.since;
    if (before?.version === after.version && sameOptions && sameSince) continue;
    clusters.set(name, after);
    if (before !== undefined && !sameSince) claimsChanged = true;
    if (before?.version !== after.version) assignments.push(name);
    if (!sameOptions) {
      services.set(name, buildServiceResources(name, after.options, snapshot.upstreamCa));
      touched.push(name);
    }
  }
  if (assignments.length === 0 && touched.length === 0) return { snapshot, change: NO_CHANGE };

  let routes = snapshot.routes;
  if (touched.length > 0 || claimsChanged) {
    const claimants = [...clusters.values()].map((cluster) => ({
      service: cluster.name,
      options: cluster.options,
      since: cluster.since,
    }));
    const tcp = settleTcpPorts(claimants);
    // Only a port's first claimant listens on it.
    for (const [name, resources] of services) {
      const port = clusters.get(name)?.options.tcp_port;
      const listens = port !== undefined && tcp.listening.has(name);
      if (listens === (resources.tcpListener !== undefined)) continue;
      services.set(name, {
        ...resources,
        tcpListener: listens ? toVersioned(buildTcpListener(name, port)) : undefined,
      });
      if (!touched.includes(name)) touched.push(name);
    }
    const rebuilt = toRoutesResource(routes.json.name, claimants, tcp.conflicts);
    // A conflict can come or go with no change to what is routed: keep it, for the log.
    if (rebuilt.version !== routes.version || !sameConflicts(rebuilt, routes)) routes = rebuilt;
  }
  // The front door reads the routes and the services' TLS options, nothing of the endpoints.
  const frontDoor =
    routes === snapshot.routes && touched.length === 0
      ? snapshot.frontDoor
      : rebuildFrontDoor(snapshot.frontDoor, routes, clusters, snapshot.secrets);
  const front = frontDoorChanges(snapshot.frontDoor, frontDoor);
  const changedServices: string[] = [];
  const routeConfigurations = routes.version === snapshot.routes.version ? [] : [routes.json.name];
  routeConfigurations.push(...front.routeConfigurations);
  for (const name of touched) {
    const was = snapshot.services.get(name);
    const now = services.get(name);
    if (
      was?.cluster.version !== now?.cluster.version ||
      was?.listener.version !== now?.listener.version ||
      was?.tcpListener?.version !== now?.tcpListener?.version
    ) {
      changedServices.push(name);
    }
    const grpcRoutes = was?.grpcRoutes ?? now?.grpcRoutes;
    if (grpcRoutes && was?.grpcRoutes.version !== now?.grpcRoutes.version) {
      routeConfigurations.push(grpcRoutes.json.name);
    }
  }
  return {
    snapshot: { ...snapshot, clusters, services, routes, frontDoor },
    change: {
      assignments: uniqueSorted(assignments),
      services: uniqueSorted(changedServices),
      outside: front.outside,
      routeConfigurations: uniqueSorted(routeConfigurations),
      listeners: front.listeners,
      secrets: [],
    },
  };
}

/** The route configuration over `services`, its conflicts with those of the TCP ports after them. */
function toRoutesResource(
  name: string,
  services: readonly RouteClaimant[],
  tcpConflicts: readonly RouteConflict[] = [],
): RoutesResource {
  const { json, conflicts } = buildRouteConfiguration(name, services);
  return { ...toVersioned(json), conflicts: [...conflicts, ...tcpConflicts] };
}

function sameConflicts(a: RoutesResource, b: RoutesResource): boolean {
  const messages = (r: RoutesResource) =>
    r.conflicts.map((conflict) => conflict.message).join('\n');
  return messages(a) === messages(b);
}

function uniqueSorted(names: readonly string[]): string[] {
  return [...new Set(names)].sort();
}
