import { edgeHttpFilters, type HttpFilterJson } from '../../src/core/envoy/edge-filters.js';
import type { CertificateFiles } from './test-certificates.js';

const RETRY_POLICY = {
  retry_on: 'connect-failure,refused-stream,reset',
  num_retries: 2,
  retry_host_predicate: [
    {
      name: 'envoy.retry_host_predicates.previous_hosts',
      typed_config: {
        '@type':
          'type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate',
      },
    },
  ],
  host_selection_retry_max_attempts: 5,
};

/** Routes by the `x-service` header to the cluster of that name. */
const BY_HEADER = {
  route_config: {
    virtual_hosts: [
      {
        name: 'by-header',
        domains: ['*'],
        routes: [
          {
            match: { prefix: '/' },
            // The retry policy of the shipped configs.
            route: { cluster_header: 'x-service', retry_policy: RETRY_POLICY },
          },
        ],
      },
    ],
  },
};

/** The agent's route configuration `name`, over the same ADS stream. */
export function agentRoutes(name = 'eds-agent'): object {
  return {
    rds: { route_config_name: name, config_source: { ads: {}, resource_api_version: 'V3' } },
  };
}

/**
 * An HTTP listener `name` on `address` whose connection manager routes by `routes` (a
 * `route_config` or an `rds`), through the agent's HTTP filters (`edgeHttpFilters`: the edge
 * policy filters, each off until a route turns it on, then the router), with the `auth`
 * filters of `authHttpFilters`.
 */
export function toHttpListener(
  name: string,
  address: object,
  routes: object,
  auth: readonly HttpFilterJson[] = [],
): object {
  return {
    name,
    address,
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type':
                'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
              stat_prefix: name,
              ...routes,
              // The chain docs/edge-policy.md asks of a hand-written listener.
              http_filters: edgeHttpFilters(auth),
            },
          },
        ],
      },
    ],
  };
}

/**
 * An Envoy bootstrap that learns everything from the agent's gRPC server over ADS: clusters
 * by CDS, their endpoints by EDS, and not one per-service cluster of its own. Its listener
 * (on 127.0.0.1, port chosen by Envoy) routes each request by `routes`: by default to the
 * cluster named by its `x-service` header; with `agentRoutes()`, by the route configuration
 * the agent derives from labels. Either way a service that did not exist when Envoy started
 * is reachable as soon as the agent serves it. Admin on 127.0.0.1 as well. `apiType` picks
 * state of the world (`GRPC`) or incremental (`DELTA_GRPC`) xDS. With `listenersFromAgent`,
 * Envoy also takes listeners from the agent (LDS over ADS): those of its TCP services. Several ports make the xDS
 * cluster one of several agents (high availability): Envoy streams from one, and moves to
 * another when its stream breaks.
 */
export function toAdsBootstrap(
  grpcPort: number | readonly number[],
  apiType: 'GRPC' | 'DELTA_GRPC' = 'GRPC',
  routes: object = BY_HEADER,
  {
    listenersFromAgent = false,
    tls,
  }: {
    listenersFromAgent?: boolean;
    /** Envoy's side of mutual TLS to the agent: its client certificate, and the CA the agent's must chain to. */
    tls?: CertificateFiles;
  } = {},
): unknown {
  const loopback = { socket_address: { address: '127.0.0.1', port_value: 0 } };
  return {
    node: { id: 'ads-scenario', cluster: 'tests' },
    admin: { address: loopback },
    dynamic_resources: {
      ads_config: {
        api_type: apiType,
        transport_api_version: 'V3',
        grpc_services: [{ envoy_grpc: { cluster_name: 'eds_agent_xds' } }],
      },
      cds_config: { ads: {}, resource_api_version: 'V3' },
      // Listeners of TCP services (`eds.tcp_port`), besides the static one.
      ...(listenersFromAgent ? { lds_config: { ads: {}, resource_api_version: 'V3' } } : {}),
    },
    static_resources: {
      listeners: [toHttpListener('ingress', loopback, routes)],
      clusters: [
        {
          name: 'eds_agent_xds',
          type: 'STATIC',
          connect_timeout: '1s',
          typed_extension_protocol_options: {
            'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
              '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
              explicit_http_config: { http2_protocol_options: {} },
            },
          },
          ...(tls
            ? {
                transport_socket: {
                  name: 'envoy.transport_sockets.tls',
                  typed_config: {
                    '@type':
                      'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
                    common_tls_context: {
                      tls_certificates: [
                        {
                          certificate_chain: { filename: tls.cert },
                          private_key: { filename: tls.key },
                        },
                      ],
                      validation_context: { trusted_ca: { filename: tls.ca } },
                      alpn_protocols: ['h2'],
                    },
                  },
                },
              }
            : {}),
          load_assignment: {
            cluster_name: 'eds_agent_xds',
            endpoints: [
              {
                lb_endpoints: [grpcPort].flat().map((port) => ({
                  endpoint: {
                    address: { socket_address: { address: '127.0.0.1', port_value: port } },
                  },
                })),
              },
            ],
          },
        },
      ],
    },
  };
}
