import type { Endpoint, EndpointHealth, EndpointSource } from './endpoint.js';

/** Envoy's `envoy.config.endpoint.v3.ClusterLoadAssignment` in proto3 JSON (snake_case, defaults omitted). */
export interface ClusterLoadAssignment {
  readonly cluster_name: string;
  readonly endpoints: readonly LocalityLbEndpoints[];
}

export interface LocalityLbEndpoints {
  readonly locality: {
    readonly region?: string;
    readonly zone?: string;
    readonly sub_zone?: string;
  };
  readonly priority?: number;
  /** The sum of its endpoints' weights (1 each unless set): proxyless gRPC clients need one. */
  readonly load_balancing_weight: number;
  readonly lb_endpoints: readonly LbEndpoint[];
}

export interface LbEndpoint {
  readonly endpoint: {
    readonly address: {
      readonly socket_address: { readonly address: string; readonly port_value: number };
    };
    readonly hostname?: string;
  };
  readonly health_status: 'HEALTHY' | 'DRAINING';
  readonly load_balancing_weight?: number;
  readonly metadata: {
    readonly filter_metadata: {
      readonly 'envoy.lb'?: { readonly canary: boolean };
      readonly 'eds-agent': { readonly source: EndpointSource };
    };
  };
}

/**
 * Builds the ClusterLoadAssignment Envoy receives for `clusterName`, the one place where our
 * endpoints become Envoy's words. Deterministic: the same endpoints in any order give the same
 * JSON (localities by priority then name, endpoints by address), so versions do not flap.
 * An address listed twice is kept once, Docker's before a registration's (Envoy would keep
 * only the first anyway; `findShadowedEndpoints` names the ones dropped).
 * No endpoints gives an assignment with no endpoints, which empties the cluster in Envoy.
 * Each locality weighs as much as its endpoints together, so a client that balances between
 * localities (gRPC) gives every endpoint the share Envoy gives it by default.
 */
export function buildClusterLoadAssignment(
  clusterName: string,
  endpoints: readonly Endpoint[],
): ClusterLoadAssignment {
  return buildServedAssignment(clusterName, endpoints).assignment;
}

/**
 * `buildClusterLoadAssignment`, with the endpoints it serves (each address once) in the order
 * it lists them: what `/status`, the metrics and the v1 SDS read describe, in our own words.
 */
export function buildServedAssignment(
  clusterName: string,
  endpoints: readonly Endpoint[],
): { assignment: ClusterLoadAssignment; served: readonly Endpoint[] } {
  const seen = new Set<string>();
  const groups = new Map<
    string,
    { key: readonly [number, string, string, string]; members: Endpoint[] }
  >();
  for (const endpoint of [...endpoints].sort(compareEndpoints)) {
    const address = addressKey(endpoint);
    if (seen.has(address)) continue;
    seen.add(address);
    const { region, zone, subZone } = endpoint.locality;
    const key = [endpoint.priority, region, zone, subZone] as const;
    const id = JSON.stringify(key);
    const group = groups.get(id) ?? { key, members: [] };
    group.members.push(endpoint);
    groups.set(id, group);
  }
  const ordered = [...groups.values()].sort((a, b) => compareTuples(a.key, b.key));
  const localitiesAt = new Map<number, number>();
  for (const { key } of ordered) localitiesAt.set(key[0], (localitiesAt.get(key[0]) ?? 0) + 1);
  const assignment: ClusterLoadAssignment = {
    cluster_name: clusterName,
    endpoints: ordered.map(({ key: [priority, region, zone, subZone], members }) => ({
      // Always present, even empty: gRPC's xDS client refuses a locality without one.
      locality: omitEmpty({ region, zone, sub_zone: subZone }),
      ...(priority !== 0 ? { priority } : {}),
      // The weights of one priority must add up to at most 2^32 - 1, in Envoy and in gRPC.
      load_balancing_weight: Math.min(
        members.reduce((sum, member) => sum + (member.weight ?? 1), 0),
        Math.floor(UINT32_MAX / (localitiesAt.get(priority) ?? 1)),
      ),
      lb_endpoints: members.map(toLbEndpoint),
    })),
  };
  return { assignment, served: ordered.flatMap(({ members }) => members) };
}

/** An endpoint's health in Envoy's words. */
export function toHealthStatus(health: EndpointHealth): LbEndpoint['health_status'] {
  return health === 'draining' ? 'DRAINING' : 'HEALTHY';
}

const UINT32_MAX = 0xffff_ffff;

function toLbEndpoint(endpoint: Endpoint): LbEndpoint {
  return {
    endpoint: {
      address: { socket_address: { address: endpoint.address, port_value: endpoint.port } },
      ...(endpoint.hostname !== '' ? { hostname: endpoint.hostname } : {}),
    },
    health_status: toHealthStatus(endpoint.health),
    ...(endpoint.weight !== undefined ? { load_balancing_weight: endpoint.weight } : {}),
    metadata: {
      filter_metadata: {
        ...(endpoint.canary !== undefined ? { 'envoy.lb': { canary: endpoint.canary } } : {}),
        'eds-agent': { source: endpoint.source },
      },
    },
  };
}

function omitEmpty<T extends Record<string, string>>(fields: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(fields).filter(([, value]) => value !== ''),
  ) as Partial<T>;
}

/** What makes two endpoints the same to Envoy: address and port. */
function addressKey(endpoint: Endpoint): string {
  return `${endpoint.address}|${endpoint.port}`;
}

/** Docker's endpoint sorts before a registration's at the same address, so it is the one kept. */
const SOURCE_RANK: Readonly<Record<EndpointSource, number>> = { docker: 0, api: 1 };

function sortKey(e: Endpoint): (string | number)[] {
  const { region, zone, subZone } = e.locality;
  return [
    e.address,
    e.port,
    SOURCE_RANK[e.source],
    e.hostname,
    e.health,
    e.weight ?? 0,
    String(e.canary),
    e.priority,
    region,
    zone,
    subZone,
  ];
}

function compareEndpoints(a: Endpoint, b: Endpoint): number {
  return compareTuples(sortKey(a), sortKey(b));
}

/** Registered endpoints dropped because a Docker container has the same address and port. */
export function findShadowedEndpoints(endpoints: readonly Endpoint[]): Endpoint[] {
  const docker = new Set(endpoints.filter((e) => e.source === 'docker').map(addressKey));
  return endpoints.filter((e) => e.source === 'api' && docker.has(addressKey(e)));
}

function compareTuples(a: readonly (string | number)[], b: readonly (string | number)[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? '';
    const y = b[i] ?? '';
    if (x < y) return -1;
    if (x > y) return 1;
  }
  return 0;
}
