import type { Endpoint } from '../../src/core/endpoint.js';
import {
  type ClusterLoadAssignment,
  toClusterLoadAssignment,
} from '../../src/core/index/build-cluster-load-assignment.js';
import {
  addressKey,
  compareEndpoints,
  compareTuples,
  groupId,
  groupKeyOf,
} from '../../src/core/index/endpoint-order.js';
import {
  type LocalityGroup,
  toLocalityGroup,
  toLocalityWeight,
  weightOf,
} from '../../src/core/index/locality-group.js';
import { toSortedChunks } from '../../src/core/index/sorted-chunks.js';

// The reference the incremental index is checked against (and a benchmark's peer builds its
// assignments with): what a cluster serves, computed from scratch.

/**
 * The endpoints a cluster serves, grouped as its assignment lists them, computed from scratch:
 * each address once (the first in sort order, so Docker's before a registration's: Envoy
 * would keep only the first anyway), in groups by priority then locality, each group's members
 * by address. Deterministic: the same endpoints in any order give the same groups.
 * `ClusterIndex` keeps the same groups up to date change by change; this is its reference.
 */
export function groupServedEndpoints(endpoints: readonly Endpoint[]): LocalityGroup[] {
  const seen = new Set<string>();
  const groups = new Map<string, Endpoint[]>();
  for (const endpoint of [...endpoints].sort(compareEndpoints)) {
    const address = addressKey(endpoint);
    if (seen.has(address)) continue;
    seen.add(address);
    const id = groupId(groupKeyOf(endpoint));
    const members = groups.get(id) ?? [];
    members.push(endpoint);
    groups.set(id, members);
  }
  return toLocalityGroups([...groups.values()]);
}

/**
 * Groups whose members are already chosen and sorted, as the assignment lists them: by key,
 * each with its capped weight.
 */
export function toLocalityGroups(memberLists: readonly (readonly Endpoint[])[]): LocalityGroup[] {
  const keyed = memberLists
    .filter((members) => members.length > 0)
    .map((members) => ({ key: groupKeyOf(members[0] as Endpoint), members }))
    .sort((a, b) => compareTuples(a.key, b.key));
  const localitiesAt = new Map<number, number>();
  for (const { key } of keyed) localitiesAt.set(key[0], (localitiesAt.get(key[0]) ?? 0) + 1);
  return keyed.map(({ key, members }) => {
    const weightSum = members.reduce((sum, member) => sum + weightOf(member), 0);
    const weight = toLocalityWeight(weightSum, localitiesAt.get(key[0]) ?? 1);
    return toLocalityGroup(key, toSortedChunks(members), weightSum, weight);
  });
}

/** Registered endpoints not served because a Docker container has the same address and port. */
export function findShadowedEndpoints(endpoints: readonly Endpoint[]): Endpoint[] {
  const docker = new Set(endpoints.filter((e) => e.source === 'docker').map(addressKey));
  return endpoints.filter((e) => e.source === 'api' && docker.has(addressKey(e)));
}

/** `toClusterLoadAssignment` of the endpoints given, grouped from scratch. */
export function buildClusterLoadAssignment(
  clusterName: string,
  endpoints: readonly Endpoint[],
): ClusterLoadAssignment {
  return toClusterLoadAssignment(clusterName, groupServedEndpoints(endpoints));
}
