import { isIP } from 'node:net';

import { HTTP_PROTOCOL_OPTIONS_TYPE_URL, UPSTREAM_TLS_CONTEXT_TYPE_URL } from '../type-urls.js';
import type { ListenAddress } from './front-door-settings.js';

/** The name of the agent's cluster in the bootstrap: where Envoy's ADS stream goes. */
export const XDS_CLUSTER = 'eds_agent_xds';

/** What Envoy's bootstrap needs to know of the agent and of itself. */
export interface BootstrapSettings {
  /** Envoy's node id. */
  readonly nodeId: string;
  /** Where Envoy's admin interface listens (keep it on loopback: it can stop Envoy). */
  readonly admin: ListenAddress;
  /** How Envoy reaches the agent's gRPC server: a host name or an IP address, and the port. */
  readonly xds: { readonly host: string; readonly port: number };
  /**
   * TLS to the agent, when its gRPC server speaks TLS: the CA file (as Envoy reads it) the
   * agent's certificate must chain to, and Envoy's own certificate and key for mutual TLS.
   */
  readonly tls?: {
    readonly caFile: string;
    readonly client?: { readonly certFile: string; readonly keyFile: string };
  };
}

/**
 * The whole bootstrap of an Envoy fed by the agent: its node, its admin interface, and one
 * static cluster, the agent's gRPC server (HTTP/2, over TLS when the agent speaks it), from
 * which it takes everything else over one ADS stream: listeners (LDS, the front door's among
 * them), route configurations, clusters, endpoints and certificates. A host name is resolved
 * by DNS (a compose service's name), an IP address used as is. Pure.
 */
export function buildBootstrap(settings: BootstrapSettings): object {
  const { xds, tls } = settings;
  const ads = { ads: {}, resource_api_version: 'V3' };
  return {
    node: { id: settings.nodeId, cluster: 'eds-agent' },
    admin: {
      address: {
        socket_address: { address: settings.admin.address, port_value: settings.admin.port },
      },
    },
    dynamic_resources: {
      ads_config: {
        api_type: 'GRPC',
        transport_api_version: 'V3',
        grpc_services: [{ envoy_grpc: { cluster_name: XDS_CLUSTER } }],
      },
      cds_config: ads,
      lds_config: ads,
    },
    static_resources: {
      clusters: [
        {
          name: XDS_CLUSTER,
          type: isIP(xds.host) === 0 ? 'STRICT_DNS' : 'STATIC',
          connect_timeout: '1s',
          typed_extension_protocol_options: {
            'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
              '@type': HTTP_PROTOCOL_OPTIONS_TYPE_URL,
              explicit_http_config: { http2_protocol_options: {} },
            },
          },
          ...(tls
            ? {
                transport_socket: {
                  name: 'envoy.transport_sockets.tls',
                  typed_config: {
                    '@type': UPSTREAM_TLS_CONTEXT_TYPE_URL,
                    ...(isIP(xds.host) === 0 ? { sni: xds.host } : {}),
                    common_tls_context: {
                      ...(tls.client
                        ? {
                            tls_certificates: [
                              {
                                certificate_chain: { filename: tls.client.certFile },
                                private_key: { filename: tls.client.keyFile },
                              },
                            ],
                          }
                        : {}),
                      validation_context: { trusted_ca: { filename: tls.caFile } },
                      alpn_protocols: ['h2'],
                    },
                  },
                },
              }
            : {}),
          load_assignment: {
            cluster_name: XDS_CLUSTER,
            endpoints: [
              {
                lb_endpoints: [
                  {
                    endpoint: {
                      address: { socket_address: { address: xds.host, port_value: xds.port } },
                    },
                  },
                ],
              },
            ],
          },
        },
      ],
    },
  };
}
