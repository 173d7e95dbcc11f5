import type { ServiceOptions } from './labels/service-options.js';

/** Where an endpoint came from: a Docker container, or a registration through the HTTP API. */
export type EndpointSource = 'docker' | 'api';

/** Whether an endpoint should get new traffic (`healthy`) or only finish what it has (`draining`). */
export type EndpointHealth = 'healthy' | 'draining';

/** Where an endpoint sits in Envoy's locality tree; empty strings mean "not set". */
export interface Locality {
  readonly region: string;
  readonly zone: string;
  readonly subZone: string;
}

/**
 * One address that serves one cluster, in our own words. `build-cluster-load-assignment.ts`
 * is the one place that translates it into Envoy's LbEndpoint.
 */
export interface Endpoint {
  readonly cluster: string;
  /** An IP literal (v4 or v6): Envoy's EDS rejects hostnames. */
  readonly address: string;
  readonly port: number;
  /** Shown by Envoy in admin output: the container name; `''` for none (omitted). */
  readonly hostname: string;
  /** The container's short id (12 hex digits), for Docker's endpoints; for logs, not sent to Envoy. */
  readonly containerId?: string;
  readonly health: EndpointHealth;
  readonly weight: number | undefined;
  readonly priority: number;
  readonly locality: Locality;
  readonly canary: boolean | undefined;
  readonly source: EndpointSource;
  /** When its container was created (ms since the epoch, to the second); none for registered hosts. */
  readonly since?: number;
  /** How its container's labels tune its service (cluster and routes); none for registered hosts. */
  readonly serviceOptions?: ServiceOptions;
}
