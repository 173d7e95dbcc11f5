import protobuf from 'protobufjs';

import type { Endpoint } from '../../core/endpoint.js';
import {
  toLbEndpoint,
  toLocalityLbEndpoints,
} from '../../core/index/build-cluster-load-assignment.js';
import type { LocalityGroup } from '../../core/index/locality-group.js';
import { toMessageName } from '../../core/type-urls.js';
import { CLUSTER_LOAD_ASSIGNMENT_TYPE_URL } from '../../core/type-urls.js';
import { encodeProto3Json } from './encode-proto3-json.js';

/** `ClusterLoadAssignment.endpoints` and `LocalityLbEndpoints.lb_endpoints` are both field 2. */
const REPEATED_FIELD_2 = (2 << 3) | 2;
/** `ClusterLoadAssignment.cluster_name` is field 1, a string. */
const CLUSTER_NAME_FIELD = (1 << 3) | 2;

/**
 * The protobuf bytes of a ClusterLoadAssignment, assembled from the bytes of its endpoints,
 * chunks and groups, each encoded once for as long as it lives: a new version of a large
 * cluster encodes only its new endpoints, concatenates again the chunks that changed, and
 * copies the rest. The bytes are those encoding the whole
 * assignment at once gives (fields in number order, each repeated item length-delimited),
 * which a test checks.
 */
export function createAssignmentEncoder(
  root: protobuf.Root,
): (clusterName: string, groups: readonly LocalityGroup[]) => Uint8Array {
  const assignmentType = root.lookupType(toMessageName(CLUSTER_LOAD_ASSIGNMENT_TYPE_URL));
  const groupType = assignmentType.fields.endpoints?.resolve().resolvedType as protobuf.Type;
  const endpointType = groupType.fields.lb_endpoints?.resolve().resolvedType as protobuf.Type;
  const endpointBytes = new WeakMap<Endpoint, Uint8Array>();
  const chunkBytes = new WeakMap<readonly Endpoint[], Uint8Array>();
  const groupBytes = new WeakMap<LocalityGroup, Uint8Array>();

  const encodeEndpoint = (endpoint: Endpoint): Uint8Array => {
    let bytes = endpointBytes.get(endpoint);
    if (!bytes) {
      bytes = encodeProto3Json(endpointType, toLbEndpoint(endpoint));
      endpointBytes.set(endpoint, bytes);
    }
    return bytes;
  };
  /** A chunk's endpoints, each framed as an item of `lb_endpoints`. */
  const encodeChunk = (chunk: readonly Endpoint[]): Uint8Array => {
    let bytes = chunkBytes.get(chunk);
    if (!bytes) {
      bytes = concat(chunk.flatMap((member) => framed(encodeEndpoint(member))));
      chunkBytes.set(chunk, bytes);
    }
    return bytes;
  };
  const encodeGroup = (group: LocalityGroup): Uint8Array => {
    let bytes = groupBytes.get(group);
    if (!bytes) {
      const { locality, lb_endpoints: _members, ...after } = toLocalityLbEndpoints(group, []);
      bytes = concat([
        encodeProto3Json(groupType, { locality }), // field 1
        ...group.chunks.map(encodeChunk), // field 2
        encodeProto3Json(groupType, after), // fields 3 and 5
      ]);
      groupBytes.set(group, bytes);
    }
    return bytes;
  };
  return (clusterName, groups) => {
    const name = protobuf.Writer.create().uint32(CLUSTER_NAME_FIELD).string(clusterName).finish();
    if (groups.length === 0) return name; // an empty assignment: its name alone
    return concat([name, ...groups.flatMap((group) => framed(encodeGroup(group)))]);
  };
}

/** An item of a repeated message field 2: its tag and length, then itself. */
function framed(bytes: Uint8Array): Uint8Array[] {
  return [protobuf.Writer.create().uint32(REPEATED_FIELD_2).uint32(bytes.length).finish(), bytes];
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}
