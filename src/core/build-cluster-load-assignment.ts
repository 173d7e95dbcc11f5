import type { Endpoint } from './endpoint.js';

/** Envoy's `envoy.config.endpoint.v3.ClusterLoadAssignment` in proto3 JSON (snake_case, defaults omitted). */
export interface ClusterLoadAssignment {
  readonly cluster_name: string;
  readonly endpoints: readonly LocalityLbEndpoints[];
}

export interface LocalityLbEndpoints {
  readonly locality?: {
    readonly region?: string;
    readonly zone?: string;
    readonly sub_zone?: string;
  };
  readonly priority?: number;
  readonly lb_endpoints: readonly LbEndpoint[];
}

export interface LbEndpoint {
  readonly endpoint: {
    readonly address: {
      readonly socket_address: { readonly address: string; readonly port_value: number };
    };
    readonly hostname: string;
  };
  readonly health_status: 'HEALTHY' | 'DRAINING';
  readonly load_balancing_weight?: number;
  readonly metadata?: {
    readonly filter_metadata: { readonly 'envoy.lb': { readonly canary: boolean } };
  };
}

/**
 * Builds the ClusterLoadAssignment Envoy receives for `clusterName`, the one place where our
 * endpoints become Envoy's words. Deterministic: the same endpoints in any order give the same
 * JSON (localities by priority then name, endpoints by address), so versions do not flap.
 * A duplicate address is kept once (Envoy would keep only the first anyway).
 * No endpoints gives an assignment with no endpoints, which empties the cluster in Envoy.
 */
export function buildClusterLoadAssignment(
  clusterName: string,
  endpoints: readonly Endpoint[],
): ClusterLoadAssignment {
  const seen = new Set<string>();
  const groups = new Map<
    string,
    { key: readonly [number, string, string, string]; members: Endpoint[] }
  >();
  for (const endpoint of [...endpoints].sort(compareEndpoints)) {
    const address = `${endpoint.address}|${endpoint.port}`;
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
  return {
    cluster_name: clusterName,
    endpoints: ordered.map(({ key: [priority, region, zone, subZone], members }) => ({
      ...(region || zone || subZone
        ? { locality: omitEmpty({ region, zone, sub_zone: subZone }) }
        : {}),
      ...(priority !== 0 ? { priority } : {}),
      lb_endpoints: members.map(toLbEndpoint),
    })),
  };
}

function toLbEndpoint(endpoint: Endpoint): LbEndpoint {
  return {
    endpoint: {
      address: { socket_address: { address: endpoint.address, port_value: endpoint.port } },
      hostname: endpoint.hostname,
    },
    health_status: endpoint.health === 'draining' ? 'DRAINING' : 'HEALTHY',
    ...(endpoint.weight !== undefined ? { load_balancing_weight: endpoint.weight } : {}),
    ...(endpoint.canary !== undefined
      ? { metadata: { filter_metadata: { 'envoy.lb': { canary: endpoint.canary } } } }
      : {}),
  };
}

function omitEmpty<T extends Record<string, string>>(fields: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(fields).filter(([, value]) => value !== ''),
  ) as Partial<T>;
}

function compareEndpoints(a: Endpoint, b: Endpoint): number {
  return compareTuples(
    [
      a.address,
      a.port,
      a.hostname,
      a.health,
      a.weight ?? 0,
      String(a.canary),
      a.priority,
      a.locality.region,
      a.locality.zone,
      a.locality.subZone,
    ],
    [
      b.address,
      b.port,
      b.hostname,
      b.health,
      b.weight ?? 0,
      String(b.canary),
      b.priority,
      b.locality.region,
      b.locality.zone,
      b.locality.subZone,
    ],
  );
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
