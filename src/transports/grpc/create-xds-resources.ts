import type protobuf from 'protobufjs';

import { toTcpListenerName } from '../../core/envoy/build-listener.js';
import {
  type ClusterResource,
  type Snapshot,
  type SnapshotChange,
  toClusterResource,
  type Versioned,
} from '../../core/index/snapshot.js';
import {
  CLUSTER_LOAD_ASSIGNMENT_TYPE_URL,
  CLUSTER_TYPE_URL,
  LISTENER_TYPE_URL,
  ROUTE_CONFIGURATION_TYPE_URL,
} from '../../core/type-urls.js';
import { createAssignmentEncoder } from './encode-cluster-load-assignment.js';
import { toAnyMessage } from './encode-discovery-response.js';
import { packAny } from './encode-proto3-json.js';
import type { AnyMessage, ResourceChanges, XdsResources } from './xds-protocol.js';

/**
 * The snapshot's change as names per type URL, ordered so that a client never holds a
 * reference to something it does not have (xDS's "make before break"): clusters and their
 * endpoints before the listeners and routes that name them; but when services went away, the
 * listeners and routes that named them first, then the clusters.
 */
export function toResourceChanges(change: SnapshotChange, after: Snapshot): ResourceChanges {
  const byType: [string, readonly string[]][] = [
    [CLUSTER_TYPE_URL, change.services],
    [CLUSTER_LOAD_ASSIGNMENT_TYPE_URL, change.assignments],
    // A service's API listener is named after it, its TCP listener `tcp/<service>`.
    [LISTENER_TYPE_URL, [...change.services, ...change.services.map(toTcpListenerName)]],
    [ROUTE_CONFIGURATION_TYPE_URL, change.routeConfigurations],
  ];
  const removes = change.services.some((name) => !after.services.has(name));
  return removes ? [...byType.slice(2), ...byType.slice(0, 2)] : byType;
}

const TCP_PREFIX = toTcpListenerName('');

/** The TCP listener named `name` (`tcp/<service>`), if its service has one. */
function tcpListenerOf(snapshot: Snapshot, name: string) {
  if (!name.startsWith(TCP_PREFIX)) return undefined;
  return snapshot.services.get(name.slice(TCP_PREFIX.length))?.tcpListener;
}

/**
 * What the streams serve, read from the store's current snapshot at each call. Each resource
 * is packed (encoded to protobuf) once per version and the bytes shared by every stream.
 */
export function createXdsResources(root: protobuf.Root, current: () => Snapshot): XdsResources {
  const packed = new WeakMap<object, AnyMessage>();
  const encodeAssignment = createAssignmentEncoder(root);
  const pack = (key: object, typeUrl: string, json: object): AnyMessage => {
    let any = packed.get(key);
    if (!any) {
      any = packAny(root, { '@type': typeUrl, ...json });
      packed.set(key, any);
    }
    return any;
  };
  const sortedKeys = new WeakMap<ReadonlyMap<string, unknown>, string[]>();
  const namesOf = (map: ReadonlyMap<string, unknown>): string[] => {
    let names = sortedKeys.get(map);
    if (!names) {
      names = [...map.keys()].sort();
      sortedKeys.set(map, names);
    }
    return names;
  };
  const tcpNames = new WeakMap<ReadonlyMap<string, unknown>, string[]>();
  /**
   * The listeners a wildcard subscription gets: the TCP listeners, Envoy's. An API listener is
   * for the gRPC client that names it (`xds:///<service>`); Envoy takes none over LDS.
   */
  const tcpListenerNames = (snapshot: Snapshot): string[] => {
    let names = tcpNames.get(snapshot.services);
    if (!names) {
      names = namesOf(snapshot.services).flatMap((service) =>
        snapshot.services.get(service)?.tcpListener ? [toTcpListenerName(service)] : [],
      );
      tcpNames.set(snapshot.services, names);
    }
    return names;
  };
  const versioned = (typeUrl: string, resource: Versioned<object> | undefined) =>
    resource && { version: resource.version, any: pack(resource, typeUrl, resource.json) };

  return {
    ready: () => current().awaiting.length === 0,
    names(typeUrl) {
      const snapshot = current();
      if (typeUrl === CLUSTER_LOAD_ASSIGNMENT_TYPE_URL) return namesOf(snapshot.clusters);
      if (typeUrl === ROUTE_CONFIGURATION_TYPE_URL) {
        return [
          snapshot.routes.json.name,
          ...namesOf(snapshot.services).map(
            (name) => snapshot.services.get(name)?.grpcRoutes.json.name ?? name,
          ),
        ];
      }
      if (typeUrl === LISTENER_TYPE_URL) return tcpListenerNames(snapshot);
      return namesOf(snapshot.services);
    },
    has(typeUrl, name) {
      const snapshot = current();
      if (typeUrl === CLUSTER_LOAD_ASSIGNMENT_TYPE_URL) return snapshot.clusters.has(name);
      if (typeUrl === ROUTE_CONFIGURATION_TYPE_URL)
        return this.resource(typeUrl, name) !== undefined;
      if (typeUrl === LISTENER_TYPE_URL) return tcpListenerOf(snapshot, name) !== undefined;
      return snapshot.services.has(name);
    },
    resource(typeUrl, name) {
      const snapshot = current();
      switch (typeUrl) {
        case CLUSTER_LOAD_ASSIGNMENT_TYPE_URL: {
          const resource: ClusterResource = toClusterResource(snapshot, name);
          let any = packed.get(resource);
          if (!any) {
            any = toAnyMessage(typeUrl, encodeAssignment(name, resource.localities));
            // A name no cluster has (a client may name thousands) gets a new empty resource
            // each time: remembering it would only make work for the garbage collector.
            if (snapshot.clusters.has(name)) packed.set(resource, any);
          }
          return { version: resource.version, any };
        }
        case CLUSTER_TYPE_URL:
          return versioned(typeUrl, snapshot.services.get(name)?.cluster);
        case LISTENER_TYPE_URL:
          return versioned(
            typeUrl,
            tcpListenerOf(snapshot, name) ?? snapshot.services.get(name)?.listener,
          );
        case ROUTE_CONFIGURATION_TYPE_URL: {
          if (name === snapshot.routes.json.name) return versioned(typeUrl, snapshot.routes);
          const service = name.slice(name.indexOf('/') + 1);
          const routes = snapshot.services.get(service)?.grpcRoutes;
          return versioned(typeUrl, routes?.json.name === name ? routes : undefined);
        }
        default:
          return undefined;
      }
    },
  };
}
