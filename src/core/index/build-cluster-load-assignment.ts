import type { Endpoint, EndpointHealth, EndpointSource } from '../endpoint.js';
import type { LocalityGroup } from './locality-group.js';

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
 * The one place where our endpoints become Envoy's words: the ClusterLoadAssignment Envoy
 * receives for `clusterName`, from its locality groups (a `ClusterIndex` kept up to date). No group gives an assignment with no endpoints, which
 * empties the cluster in Envoy.
 */
export function toClusterLoadAssignment(
  clusterName: string,
  groups: readonly LocalityGroup[],
): ClusterLoadAssignment {
  return {
    cluster_name: clusterName,
    endpoints: groups.map((group) => toLocalityLbEndpoints(group)),
  };
}

const groupTexts = new WeakMap<LocalityGroup, string>();
const chunkTexts = new WeakMap<readonly Endpoint[], string>();
const endpointTexts = new WeakMap<Endpoint, string>();

/**
 * `JSON.stringify(toClusterLoadAssignment(clusterName, groups))`, the same text, assembled from
 * the text of each group, chunk of endpoints and endpoint, kept for as long as they live: a new
 * version of a large cluster joins again only the chunks that changed, and stringifies only
 * the endpoints that are new.
 */
export function toClusterLoadAssignmentJson(
  clusterName: string,
  groups: readonly LocalityGroup[],
): string {
  return `{"cluster_name":${JSON.stringify(clusterName)},"endpoints":[${groups.map(toGroupJson).join(',')}]}`;
}

function toGroupJson(group: LocalityGroup): string {
  let text = groupTexts.get(group);
  if (text === undefined) {
    const { lb_endpoints: _members, ...fields } = toLocalityLbEndpoints(group, []);
    const members = group.chunks.map(toChunkJson).join(',');
    text = `${JSON.stringify(fields).slice(0, -1)},"lb_endpoints":[${members}]}`;
    groupTexts.set(group, text);
  }
  return text;
}

function toChunkJson(chunk: readonly Endpoint[]): string {
  let text = chunkTexts.get(chunk);
  if (text === undefined) {
    text = chunk.map(toLbEndpointJson).join(',');
    chunkTexts.set(chunk, text);
  }
  return text;
}

/** `JSON.stringify(toLbEndpoint(endpoint))`, kept for as long as the endpoint lives. */
export function toLbEndpointJson(endpoint: Endpoint): string {
  let text = endpointTexts.get(endpoint);
  if (text === undefined) {
    text = JSON.stringify(toLbEndpoint(endpoint));
    endpointTexts.set(endpoint, text);
  }
  return text;
}

/** One locality group as Envoy's `LocalityLbEndpoints` (with `members`, its own by default). */
export function toLocalityLbEndpoints(
  group: LocalityGroup,
  members: readonly Endpoint[] = group.members,
): LocalityLbEndpoints {
  const { region, zone, subZone } = group.locality;
  return {
    // Always present, even empty: gRPC's xDS client refuses a locality without one.
    locality: omitEmpty({ region, zone, sub_zone: subZone }),
    ...(group.priority !== 0 ? { priority: group.priority } : {}),
    load_balancing_weight: group.weight,
    lb_endpoints: members.map(toLbEndpoint),
  };
}

/** An endpoint's health in Envoy's words. */
export function toHealthStatus(health: EndpointHealth): LbEndpoint['health_status'] {
  return health === 'draining' ? 'DRAINING' : 'HEALTHY';
}

/** One endpoint as Envoy's `LbEndpoint`, its source in its metadata. */
export function toLbEndpoint(endpoint: Endpoint): LbEndpoint {
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
