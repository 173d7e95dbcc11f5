import type { Endpoint } from './endpoint.js';

/** The type URL of an Envoy v3 `Cluster`. */
export const CLUSTER_TYPE_URL = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';

/** Envoy's load-balancing policies a label may choose (`eds.lb_policy`). */
export const LB_POLICIES = [
  'ROUND_ROBIN',
  'LEAST_REQUEST',
  'RANDOM',
  'RING_HASH',
  'MAGLEV',
] as const;
export type LbPolicy = (typeof LB_POLICIES)[number];

/** How a cluster is tuned by its containers' labels; `undefined` means the default. */
export interface ClusterOptions {
  readonly lbPolicy: LbPolicy | undefined;
  /** A proto3 JSON duration, e.g. `"0.250s"`. */
  readonly connectTimeout: string | undefined;
}

export const DEFAULT_LB_POLICY: LbPolicy = 'ROUND_ROBIN';
/** How long Envoy waits for a connection to an endpoint, unless a label says otherwise. */
export const DEFAULT_CONNECT_TIMEOUT = '1s';

/** An Envoy v3 `Cluster` in proto3 JSON, as the agent serves it. */
export interface ClusterJson {
  readonly name: string;
  readonly type: 'EDS';
  readonly connect_timeout: string;
  readonly lb_policy: LbPolicy;
  readonly eds_cluster_config: {
    readonly service_name: string;
    readonly eds_config: {
      readonly ads: Record<string, never>;
      readonly resource_api_version: 'V3';
    };
  };
}

/**
 * The cluster Envoy gets by CDS for a service the agent knows: `type: EDS`, its endpoints from
 * the same server over ADS, round robin and a 1 s connect timeout unless `options` say
 * otherwise. Pure.
 */
export function buildCluster(name: string, options?: ClusterOptions): ClusterJson {
  return {
    name,
    type: 'EDS',
    connect_timeout: options?.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT,
    lb_policy: options?.lbPolicy ?? DEFAULT_LB_POLICY,
    eds_cluster_config: { service_name: name, eds_config: { ads: {}, resource_api_version: 'V3' } },
  };
}

/**
 * The options of a cluster, from what its endpoints' labels say. When they disagree, the value
 * set by the most endpoints wins, and between equally many the first in sort order; each
 * disagreement is described in `conflicts`. Pure and deterministic: the endpoints' order does
 * not matter.
 */
export function resolveClusterOptions(endpoints: readonly Endpoint[]): {
  options: ClusterOptions;
  conflicts: string[];
} {
  const conflicts: string[] = [];
  const pick = <T extends string>(label: string, values: (T | undefined)[]): T | undefined => {
    const counts = new Map<T, number>();
    for (const value of values)
      if (value !== undefined) counts.set(value, (counts.get(value) ?? 0) + 1);
    const ranked = [...counts].sort(([a, m], [b, n]) => n - m || (a < b ? -1 : 1));
    if (ranked.length > 1)
      conflicts.push(
        `${label}: the containers disagree (${ranked.map(([v, n]) => `${v} on ${n}`).join(', ')}); using ${ranked[0]?.[0] ?? ''}`,
      );
    return ranked[0]?.[0];
  };
  return {
    options: {
      lbPolicy: pick(
        'lb_policy',
        endpoints.map((e) => e.clusterOptions?.lbPolicy),
      ),
      connectTimeout: pick(
        'connect_timeout',
        endpoints.map((e) => e.clusterOptions?.connectTimeout),
      ),
    },
    conflicts,
  };
}
