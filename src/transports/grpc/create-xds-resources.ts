import type protobuf from 'protobufjs';

import type { Snapshot, SnapshotChange } from '../../core/index/snapshot.js';
import { createAssignmentEncoder } from './encode-cluster-load-assignment.js';
import { toAnyMessage } from './encode-discovery-response.js';
import { packAny } from './encode-proto3-json.js';
import type { AnyMessage, ResourceChanges, XdsResources } from './xds-protocol.js';
import {
  XDS_TYPE_BY_URL,
  XDS_TYPES,
  type XdsResourceSource,
  type XdsTypeContext,
} from './xds-types.js';

/**
 * The snapshot's change as names per type URL, ordered so that a client never holds a
 * reference to something it does not have (xDS's "make before break"): clusters and their
 * endpoints before the listeners and routes that name them; but when services went away, the
 * types that refer to others first, then the rest.
 */
export function toResourceChanges(change: SnapshotChange, after: Snapshot): ResourceChanges {
  const byType = XDS_TYPES.map((type) => [type.typeUrl, type.changed(change)] as const);
  // A service, an outside cluster, a front-door listener or a secret gone: whatever names it goes first.
  const removes =
    change.services.some((name) => !after.services.has(name)) ||
    change.outside.some((name) => !after.frontDoor?.outside.has(name)) ||
    change.secrets.some((name) => !after.secrets.has(name)) ||
    change.listeners.some((name) => !after.frontDoor?.listeners.has(name));
  if (!removes) return byType;
  const refers = (typeUrl: string) => XDS_TYPE_BY_URL.get(typeUrl)?.refers === true;
  return [
    ...byType.filter(([typeUrl]) => refers(typeUrl)),
    ...byType.filter(([typeUrl]) => !refers(typeUrl)),
  ];
}

/**
 * What the streams serve, read from the store's current snapshot at each call, each type as
 * its row of `XDS_TYPES` says. Each resource is packed (encoded to protobuf) once per version
 * and the bytes shared by every stream.
 */
export function createXdsResources(root: protobuf.Root, current: () => Snapshot): XdsResources {
  const packed = new WeakMap<object, AnyMessage>();
  const encodeAssignment = createAssignmentEncoder(root);
  const sortedKeys = new WeakMap<ReadonlyMap<string, unknown>, string[]>();
  const namesOf = (map: ReadonlyMap<string, unknown>): string[] => {
    let names = sortedKeys.get(map);
    if (!names) {
      names = [...map.keys()].sort();
      sortedKeys.set(map, names);
    }
    return names;
  };
  /** The context of the current snapshot, made once per snapshot (every resource read asks). */
  let last: XdsTypeContext | undefined;
  const context = (): XdsTypeContext => {
    const snapshot = current();
    if (last?.snapshot !== snapshot) last = { snapshot, namesOf };
    return last;
  };
  /** The resource as the client gets it: packed once per version. */
  const toPacked = (typeUrl: string, name: string, source: XdsResourceSource) => {
    if (source.kind === 'json') {
      const { resource } = source;
      let any = packed.get(resource);
      if (!any) {
        any = packAny(root, { '@type': typeUrl, ...resource.json });
        packed.set(resource, any);
      }
      return { version: resource.version, any };
    }
    const { resource, known } = source;
    let any = packed.get(resource);
    if (!any) {
      any = toAnyMessage(typeUrl, encodeAssignment(name, resource.localities));
      // A name no cluster has (a client may name thousands) gets a new empty resource each
      // time: remembering it would only make work for the garbage collector.
      if (known) packed.set(resource, any);
    }
    return { version: resource.version, any };
  };

  return {
    ready: () => current().awaiting.length === 0,
    names: (typeUrl) => XDS_TYPE_BY_URL.get(typeUrl)?.names(context()) ?? [],
    has: (typeUrl, name) => XDS_TYPE_BY_URL.get(typeUrl)?.has(context(), name) === true,
    resource(typeUrl, name) {
      const source = XDS_TYPE_BY_URL.get(typeUrl)?.resource(context(), name);
      return source && toPacked(typeUrl, name, source);
    },
  };
}
