import type { Endpoint, EndpointSource } from '../endpoint.js';

// The order of a cluster's endpoints: total and independent of the order they came in, so
// the same endpoints always give the same assignment and version.

/** Docker's endpoint sorts before a registration's at the same address, so it is the one kept. */
const SOURCE_RANK: Readonly<Record<EndpointSource, number>> = { docker: 0, api: 1 };

/** A locality group's key: endpoints with the same priority and locality share one. */
export type GroupKey = readonly [priority: number, region: string, zone: string, subZone: string];

const sortTuples = new WeakMap<Endpoint, readonly (string | number)[]>();

/** What an endpoint sorts by: its address first, then everything else it says. Cached. */
function sortTuple(endpoint: Endpoint): readonly (string | number)[] {
  let tuple = sortTuples.get(endpoint);
  if (!tuple) {
    const { region, zone, subZone } = endpoint.locality;
    tuple = [
      endpoint.address,
      endpoint.port,
      SOURCE_RANK[endpoint.source],
      endpoint.hostname,
      endpoint.health,
      endpoint.weight ?? 0,
      String(endpoint.canary),
      endpoint.priority,
      region,
      zone,
      subZone,
    ];
    sortTuples.set(endpoint, tuple);
  }
  return tuple;
}

/** The endpoints' order: by address, then by all the rest (so Docker's first at one address). */
export function compareEndpoints(a: Endpoint, b: Endpoint): number {
  return a === b ? 0 : compareTuples(sortTuple(a), sortTuple(b));
}

/** What makes two endpoints the same to Envoy: address and port. */
export function addressKey(endpoint: Endpoint): string {
  return `${endpoint.address}|${endpoint.port}`;
}

/** The locality group an endpoint belongs to. */
export function groupKeyOf(endpoint: Endpoint): GroupKey {
  const { region, zone, subZone } = endpoint.locality;
  return [endpoint.priority, region, zone, subZone];
}

/** A group key as one string, for maps. */
export function groupId(key: GroupKey): string {
  return JSON.stringify(key);
}

/** Element by element, numbers as numbers and strings by code unit; a shorter prefix first. */
export function compareTuples(
  a: readonly (string | number)[],
  b: readonly (string | number)[],
): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? '';
    const y = b[i] ?? '';
    if (x < y) return -1;
    if (x > y) return 1;
  }
  return 0;
}

/** The first index of the sorted `list`, from `start`, whose endpoint does not sort before `endpoint`. */
export function lowerBound(list: readonly Endpoint[], endpoint: Endpoint, start = 0): number {
  let low = start;
  let high = list.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compareEndpoints(list[middle] as Endpoint, endpoint) < 0) low = middle + 1;
    else high = middle;
  }
  return low;
}

/**
 * The first index of the sorted `list` whose endpoint sorts after `endpoint`: where to insert
 * it so that endpoints that sort alike keep the order they came in (as a stable sort would).
 */
export function upperBound(list: readonly Endpoint[], endpoint: Endpoint): number {
  let low = 0;
  let high = list.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compareEndpoints(list[middle] as Endpoint, endpoint) <= 0) low = middle + 1;
    else high = middle;
  }
  return low;
}
