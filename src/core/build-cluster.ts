import type { ServiceOptions } from './service-options.js';

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
export function buildCluster(name: string, options?: ServiceOptions): ClusterJson {
  return {
    name,
    type: 'EDS',
    connect_timeout: options?.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT,
    lb_policy: options?.lbPolicy ?? DEFAULT_LB_POLICY,
    eds_cluster_config: { service_name: name, eds_config: { ads: {}, resource_api_version: 'V3' } },
  };
}
