import { authLocalReply } from '../envoy/auth-filters.js';
import { edgeHttpFilters, type HttpFilterJson } from '../envoy/edge-filters.js';
import {
  DOWNSTREAM_TLS_CONTEXT_TYPE_URL,
  HTTP_CONNECTION_MANAGER_TYPE_URL,
  PROXY_PROTOCOL_TYPE_URL,
  TCP_PROXY_TYPE_URL,
  TLS_INSPECTOR_TYPE_URL,
} from '../type-urls.js';
import {
  FRONT_HTTP_LISTENER,
  FRONT_HTTPS_LISTENER,
  type FrontDoorSettings,
  type ListenAddress,
  toSecretName,
} from './front-door-settings.js';

/** The HTTP connection manager of a front-door filter chain, in proto3 JSON. */
interface ConnectionManagerJson {
  readonly name: 'envoy.filters.network.http_connection_manager';
  readonly typed_config: {
    readonly '@type': typeof HTTP_CONNECTION_MANAGER_TYPE_URL;
    readonly stat_prefix: string;
    readonly use_remote_address: true;
    readonly xff_num_trusted_hops?: number;
    readonly rds: {
      readonly route_config_name: string;
      readonly config_source: {
        readonly ads: Record<string, never>;
        readonly resource_api_version: 'V3';
      };
    };
    readonly http_filters: readonly HttpFilterJson[];
    readonly local_reply_config?: object;
  };
}

/** A TLS passthrough chain's one filter: the connection, still encrypted, to a service. */
interface PassthroughProxyJson {
  readonly name: 'envoy.filters.network.tcp_proxy';
  readonly typed_config: {
    readonly '@type': typeof TCP_PROXY_TYPE_URL;
    readonly stat_prefix: string;
    readonly cluster: string;
    readonly max_connect_attempts: number;
  };
}

/** Tries of a passed-through connection to another endpoint when one refuses it. */
const PASSTHROUGH_CONNECT_ATTEMPTS = 3;

/**
 * A front-door filter chain; an HTTPS one is picked by server name and terminates TLS, or
 * passes the connection through to a service (`eds.tcp_sni`).
 */
interface FrontFilterChainJson {
  readonly filter_chain_match?: { readonly server_names: readonly string[] };
  readonly transport_socket?: {
    readonly name: 'envoy.transport_sockets.tls';
    readonly typed_config: {
      readonly '@type': typeof DOWNSTREAM_TLS_CONTEXT_TYPE_URL;
      readonly common_tls_context: {
        readonly alpn_protocols: readonly string[];
        readonly tls_certificate_sds_secret_configs: readonly {
          readonly name: string;
          readonly sds_config: {
            readonly ads: Record<string, never>;
            readonly resource_api_version: 'V3';
          };
        }[];
      };
    };
  };
  readonly filters: readonly [ConnectionManagerJson] | readonly [PassthroughProxyJson];
}

interface ListenerFilterJson {
  readonly name: string;
  readonly typed_config: { readonly '@type': string };
}

/** An Envoy v3 `Listener` of the front door (`--listen`), in proto3 JSON. */
export interface FrontListenerJson {
  readonly name: string;
  readonly address: {
    readonly socket_address: { readonly address: string; readonly port_value: number };
  };
  readonly listener_filters?: readonly ListenerFilterJson[];
  readonly filter_chains: readonly FrontFilterChainJson[];
}

/**
 * The connection manager every front-door chain holds: routes by RDS over ADS, through the
 * edge policy filters (`edgeHttpFilters`), and the client's own address as the downstream
 * address (`use_remote_address`: the front door is the edge), or the one `trustedHops` proxies
 * in front of it put in `X-Forwarded-For`.
 */
function connectionManager(
  statPrefix: string,
  routeConfigName: string,
  settings: FrontDoorSettings,
  auth: readonly HttpFilterJson[],
): ConnectionManagerJson {
  const reply = authLocalReply(auth);
  return {
    name: 'envoy.filters.network.http_connection_manager',
    typed_config: {
      '@type': HTTP_CONNECTION_MANAGER_TYPE_URL,
      stat_prefix: statPrefix,
      use_remote_address: true,
      ...(settings.trustedHops ? { xff_num_trusted_hops: settings.trustedHops } : {}),
      rds: {
        route_config_name: routeConfigName,
        config_source: { ads: {}, resource_api_version: 'V3' },
      },
      http_filters: edgeHttpFilters(auth),
      ...(reply ? { local_reply_config: reply } : {}),
    },
  };
}

/** The PROXY protocol listener filter, first of a listener's with `--proxy-protocol`. */
function proxyProtocol(settings: FrontDoorSettings): ListenerFilterJson[] {
  return settings.proxyProtocol
    ? [
        {
          name: 'envoy.filters.listener.proxy_protocol',
          typed_config: { '@type': PROXY_PROTOCOL_TYPE_URL },
        },
      ]
    : [];
}

function socketAddress({ address, port }: ListenAddress) {
  return { socket_address: { address, port_value: port } };
}

/**
 * The plain HTTP listener (`front/http`) on `settings.http`, routed by `routeConfigName`, its
 * chain holding the `auth` filters the services ask for (`authHttpFilters`). Pure.
 */
export function buildHttpListener(
  settings: FrontDoorSettings & { readonly http: ListenAddress },
  routeConfigName: string,
  auth: readonly HttpFilterJson[] = [],
): FrontListenerJson {
  const filters = proxyProtocol(settings);
  return {
    name: FRONT_HTTP_LISTENER,
    address: socketAddress(settings.http),
    ...(filters.length > 0 ? { listener_filters: filters } : {}),
    filter_chains: [
      { filters: [connectionManager('front_http', routeConfigName, settings, auth)] },
    ],
  };
}

/**
 * The HTTPS listener (`front/https`): one filter chain per domain, picked by the TLS server
 * name (SNI) the TLS inspector reads, terminating TLS with the domain's SDS secret
 * (`tls/<domain>`, which Envoy asks for over ADS) and routing by `routeConfigName`, the agent's
 * route configuration. ALPN offers HTTP/2 and HTTP/1.1. Then a chain per service of `passthrough`
 * (server name → service, see `toPassthroughNames`) that proxies the connection as it is. With `--proxy-protocol`, its PROXY header
 * is read before the TLS inspector reads the server name. `domains` must be sorted, unique and
 * not empty (Envoy refuses a listener with no filter chain). Pure.
 */
export function buildHttpsListener(
  settings: FrontDoorSettings & { readonly https: ListenAddress },
  domains: readonly string[],
  routeConfigName: string,
  auth: readonly HttpFilterJson[] = [],
  passthrough: ReadonlyMap<string, string> = new Map(),
): FrontListenerJson {
  const byService = new Map<string, string[]>();
  for (const [name, service] of passthrough)
    byService.set(service, [...(byService.get(service) ?? []), name]);
  const passed = [...byService]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([service, names]): FrontFilterChainJson => ({
      filter_chain_match: { server_names: names },
      filters: [
        {
          name: 'envoy.filters.network.tcp_proxy',
          typed_config: {
            '@type': TCP_PROXY_TYPE_URL,
            stat_prefix: `passthrough_${service}`,
            cluster: service,
            max_connect_attempts: PASSTHROUGH_CONNECT_ATTEMPTS,
          },
        },
      ],
    }));
  return {
    name: FRONT_HTTPS_LISTENER,
    address: socketAddress(settings.https),
    listener_filters: [
      ...proxyProtocol(settings),
      {
        name: 'envoy.filters.listener.tls_inspector',
        typed_config: { '@type': TLS_INSPECTOR_TYPE_URL },
      },
    ],
    filter_chains: [
      ...domains.map((domain): FrontFilterChainJson => ({
        filter_chain_match: { server_names: [domain] },
        transport_socket: {
          name: 'envoy.transport_sockets.tls',
          typed_config: {
            '@type': DOWNSTREAM_TLS_CONTEXT_TYPE_URL,
            common_tls_context: {
              alpn_protocols: ['h2', 'http/1.1'],
              tls_certificate_sds_secret_configs: [
                {
                  name: toSecretName(domain),
                  sds_config: { ads: {}, resource_api_version: 'V3' },
                },
              ],
            },
          },
        },
        filters: [connectionManager('front_https', routeConfigName, settings, auth)],
      })),
      ...passed,
    ],
  };
}
