import {
  HTTP_CONNECTION_MANAGER_TYPE_URL,
  ROUTER_TYPE_URL,
  TCP_PROXY_TYPE_URL,
} from '../type-urls.js';
import { toGrpcRouteConfigName } from './build-route-configuration.js';

/** An Envoy v3 `Listener` holding an API listener, in proto3 JSON. */
export interface ListenerJson {
  readonly name: string;
  readonly api_listener: {
    readonly api_listener: {
      readonly '@type': typeof HTTP_CONNECTION_MANAGER_TYPE_URL;
      readonly stat_prefix: string;
      readonly rds: {
        readonly route_config_name: string;
        readonly config_source: {
          readonly ads: Record<string, never>;
          readonly resource_api_version: 'V3';
        };
      };
      readonly http_filters: readonly [
        {
          readonly name: string;
          readonly typed_config: { readonly '@type': typeof ROUTER_TYPE_URL };
        },
      ];
    };
  };
}

/**
 * The listener a proxyless gRPC client asks for when it dials `xds:///<service>`: an API
 * listener (no socket) whose HttpConnectionManager takes its routes over ADS from the service's
 * own route configuration (`toGrpcRouteConfigName`), with the router as its one HTTP filter,
 * as gRPC's xDS client requires. Envoy itself does not subscribe to these. Pure.
 */
export function buildApiListener(service: string): ListenerJson {
  return {
    name: service,
    api_listener: {
      api_listener: {
        '@type': HTTP_CONNECTION_MANAGER_TYPE_URL,
        stat_prefix: service,
        rds: {
          route_config_name: toGrpcRouteConfigName(service),
          config_source: { ads: {}, resource_api_version: 'V3' },
        },
        http_filters: [
          { name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER_TYPE_URL } },
        ],
      },
    },
  };
}

/** An Envoy v3 `Listener` on a socket whose one filter is a TCP proxy, in proto3 JSON. */
export interface TcpListenerJson {
  readonly name: string;
  readonly address: {
    readonly socket_address: { readonly address: string; readonly port_value: number };
  };
  readonly filter_chains: readonly [
    {
      readonly filters: readonly [
        {
          readonly name: string;
          readonly typed_config: {
            readonly '@type': typeof TCP_PROXY_TYPE_URL;
            readonly stat_prefix: string;
            readonly cluster: string;
            readonly max_connect_attempts: number;
          };
        },
      ];
    },
  ];
}

/** The name of a TCP service's listener: `tcp/<service>` (no cluster name holds a `/`). */
export function toTcpListenerName(service: string): string {
  return `tcp/${service}`;
}

/** Tries of a connection to another endpoint when one refuses it (a replica stopping). */
const TCP_CONNECT_ATTEMPTS = 3;

/**
 * The listener of a TCP service (`eds.tcp_port`): Envoy listens on `port` on every address
 * and proxies each connection to the service's cluster, trying another endpoint when one
 * cannot be reached. Pure.
 */
export function buildTcpListener(service: string, port: number): TcpListenerJson {
  return {
    name: toTcpListenerName(service),
    address: { socket_address: { address: '0.0.0.0', port_value: port } },
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.tcp_proxy',
            typed_config: {
              '@type': TCP_PROXY_TYPE_URL,
              stat_prefix: service,
              cluster: service,
              max_connect_attempts: TCP_CONNECT_ATTEMPTS,
            },
          },
        ],
      },
    ],
  };
}
