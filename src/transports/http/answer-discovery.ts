import { toClusterLoadAssignmentJson } from '../../core/index/build-cluster-load-assignment.js';
import { combineVersions } from '../../core/index/compute-version.js';
import {
  type ClusterResource,
  type Snapshot,
  toClusterResource,
} from '../../core/index/snapshot.js';
import { CLUSTER_LOAD_ASSIGNMENT_TYPE, type DiscoveryApi } from './discovery-api.js';
import type { DiscoveryRequest } from './parse-discovery-request.js';

/**
 * A discovery answer: a serialized DiscoveryResponse, "you are up to date" (HTTP 304), or
 * "nothing trustworthy to say yet" (HTTP 503, on which Envoy keeps the hosts it has).
 */
export type DiscoveryAnswer =
  | { readonly kind: 'response'; readonly body: Buffer; readonly version: string }
  | { readonly kind: 'not-modified'; readonly version: string }
  | { readonly kind: 'not-synced'; readonly awaiting: readonly string[] };

/**
 * Answers one REST poll from a snapshot. While the snapshot is partial (a source has not
 * completed its first full read) nothing is served: an empty or short answer would make Envoy
 * drop hosts that still exist. Otherwise one resource per requested name (an unknown name gets
 * an assignment with no endpoints). Up to date only when the request carries a `version_info`
 * equal to the current one; a first poll (no version) always gets a body.
 */
export function answerDiscovery(
  snapshot: Snapshot,
  request: Pick<DiscoveryRequest, 'versionInfo' | 'resourceNames'>,
  api: DiscoveryApi,
): DiscoveryAnswer {
  if (snapshot.awaiting.length > 0) return { kind: 'not-synced', awaiting: snapshot.awaiting };
  const names =
    request.resourceNames.length > 0
      ? [...new Set(request.resourceNames)]
      : [...snapshot.clusters.keys()].sort();
  const resources = names.map((name) => toClusterResource(snapshot, name));
  const [single] = resources;
  const version = resources.length === 1 && single ? single.version : combineVersions(resources);
  if (request.versionInfo === version) return { kind: 'not-modified', version };
  const body =
    resources.length === 1 && single
      ? cachedBody(single, api)
      : serializeResponse(resources, version, api);
  return { kind: 'response', body, version };
}

/**
 * Bodies keyed by resource object: a new version is a new object, so entries never go stale.
 * Kept as bytes, so a poll writes them without encoding a large string again.
 */
const bodies = new WeakMap<ClusterResource, Partial<Record<DiscoveryApi, Buffer>>>();

function cachedBody(resource: ClusterResource, api: DiscoveryApi): Buffer {
  const entry = bodies.get(resource) ?? {};
  const body = entry[api] ?? serializeResponse([resource], resource.version, api);
  entry[api] = body;
  bodies.set(resource, entry);
  return body;
}

function serializeResponse(
  resources: readonly ClusterResource[],
  version: string,
  api: DiscoveryApi,
): Buffer {
  // The text JSON.stringify would give, assembled from each resource's cached assignment text.
  const typeUrl = JSON.stringify(CLUSTER_LOAD_ASSIGNMENT_TYPE[api]);
  const items = resources.map(
    (resource) =>
      `{"@type":${typeUrl},${toClusterLoadAssignmentJson(resource.name, resource.localities).slice(1)}`,
  );
  const json = `{"version_info":${JSON.stringify(version)},"resources":[${items.join(',')}],"type_url":${typeUrl}}`;
  return Buffer.from(json, 'utf8');
}
