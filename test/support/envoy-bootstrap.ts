import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { parse } from 'yaml';

import { REPO_ROOT } from './repo-files.js';

/** The example the Envoy scenarios run: Envoy on the host, the agent in host mode. */
export const HOST_MODE_EXAMPLE = 'examples/host-mode/envoy.yaml';

/** Envoy's REST `refresh_delay` in tests: short, so that scenarios take seconds. */
export const TEST_REFRESH_DELAY_SECONDS = 0.5;

export interface TestBootstrapOptions {
  /** Where the agent under test listens on 127.0.0.1. */
  readonly agentPort: number;
  /** The `eds.service` the example's cluster asks for (unique per test, so leftovers never match). */
  readonly serviceName: string;
  /** Envoy's REST `refresh_delay`; it polls every one to two of these. Defaults to 0.5. */
  readonly refreshDelaySeconds?: number;
}

interface SocketAddress {
  address: string;
  port_value: number;
}
interface ExampleBootstrap {
  admin: { address: { socket_address: SocketAddress } };
  static_resources: {
    listeners: { address: { socket_address: SocketAddress } }[];
    clusters: {
      name: string;
      type: string;
      eds_cluster_config?: {
        service_name: string;
        eds_config: { api_config_source: { cluster_names: string[]; refresh_delay: string } };
      };
      load_assignment?: {
        endpoints: {
          lb_endpoints: { endpoint: { address: { socket_address: SocketAddress } } }[];
        }[];
      };
    }[];
  };
}

/**
 * The host-mode example's Envoy config, made runnable beside other tests: listener and admin
 * on 127.0.0.1 port 0 (Envoy picks free ones; the harness reads them back), the management
 * cluster at `agentPort`, and the EDS cluster asking for `serviceName` every
 * `refreshDelaySeconds`. Everything else (routes, retry policy, timeouts) is the example's
 * own, so the scenarios prove the file users run. Throws if the example no longer has the
 * shape this relies on.
 */
export function toTestBootstrap(options: TestBootstrapOptions): unknown {
  const config = parse(
    readFileSync(join(REPO_ROOT, HOST_MODE_EXAMPLE), 'utf8'),
  ) as ExampleBootstrap;
  const { listeners, clusters } = config.static_resources;
  const loopback = (socket: SocketAddress): void => {
    if (socket.address !== '127.0.0.1')
      throw new Error(`${HOST_MODE_EXAMPLE}: expected 127.0.0.1, got ${socket.address}`);
    socket.port_value = 0;
  };
  loopback(config.admin.address.socket_address);
  for (const listener of listeners) loopback(listener.address.socket_address);

  const eds = clusters.filter((cluster) => cluster.type === 'EDS');
  if (eds.length !== 1) throw new Error(`${HOST_MODE_EXAMPLE}: expected one EDS cluster`);
  for (const cluster of eds) {
    const edsConfig = cluster.eds_cluster_config;
    if (!edsConfig)
      throw new Error(`${HOST_MODE_EXAMPLE}: ${cluster.name} has no eds_cluster_config`);
    edsConfig.service_name = options.serviceName;
    const source = edsConfig.eds_config.api_config_source;
    source.refresh_delay = `${options.refreshDelaySeconds ?? TEST_REFRESH_DELAY_SECONDS}s`;
    for (const name of source.cluster_names) {
      const management = clusters.find((candidate) => candidate.name === name);
      const sockets = (management?.load_assignment?.endpoints ?? []).flatMap((locality) =>
        locality.lb_endpoints.map((lb) => lb.endpoint.address.socket_address),
      );
      if (sockets.length === 0)
        throw new Error(`${HOST_MODE_EXAMPLE}: management cluster ${name} has no endpoint`);
      for (const socket of sockets) socket.port_value = options.agentPort;
    }
  }
  return config;
}
