// The type URL of every Envoy message the agent names, each written once. A type URL is
// `type.googleapis.com/<full message name>`: what an `Any` holds and what a discovery request
// asks for (`type_url`).

/** An Envoy v3 `Cluster` (CDS). */
export const CLUSTER_TYPE_URL = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';

/** An Envoy v3 `ClusterLoadAssignment` (EDS): a cluster's endpoints. */
export const CLUSTER_LOAD_ASSIGNMENT_TYPE_URL =
  'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment';

/** The same in Envoy's v2 API, which the REST `/v2/discovery:endpoints` path speaks (Envoy ≤ 1.17). */
export const V2_CLUSTER_LOAD_ASSIGNMENT_TYPE_URL =
  'type.googleapis.com/envoy.api.v2.ClusterLoadAssignment';

/** An Envoy v3 `Listener` (LDS). */
export const LISTENER_TYPE_URL = 'type.googleapis.com/envoy.config.listener.v3.Listener';

/** An Envoy v3 `RouteConfiguration` (RDS). */
export const ROUTE_CONFIGURATION_TYPE_URL =
  'type.googleapis.com/envoy.config.route.v3.RouteConfiguration';

/** The HTTP connection manager an API listener holds. */
export const HTTP_CONNECTION_MANAGER_TYPE_URL =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';

/** The router, the HTTP filter every connection manager ends with. */
export const ROUTER_TYPE_URL = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';

/** The retry host predicate that makes a retry pick another host. */
export const PREVIOUS_HOSTS_PREDICATE_TYPE_URL =
  'type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate';

/** A cluster's options for HTTP to its endpoints: the protocol (`eds.protocol`). */
export const HTTP_PROTOCOL_OPTIONS_TYPE_URL =
  'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

/** The TCP proxy, the network filter of a TCP service's listener (`eds.tcp_port`). */
export const TCP_PROXY_TYPE_URL =
  'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';

/** An SDS `Secret`: a certificate chain and its private key, named in a listener's TLS context. */
export const SECRET_TYPE_URL =
  'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret';

/** The TLS a listener's filter chain terminates: its certificate, by SDS secret name. */
export const DOWNSTREAM_TLS_CONTEXT_TYPE_URL =
  'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext';

/** The TLS a cluster speaks to its endpoints (`eds.protocol=https`), and Envoy to the agent. */
export const UPSTREAM_TLS_CONTEXT_TYPE_URL =
  'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';

/** The TLS inspector, the listener filter that reads the TLS server name a filter chain is picked by. */
export const TLS_INSPECTOR_TYPE_URL =
  'type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector';

/** The types the served resources hold in an `Any` (`typed_config`, `api_listener`). */
export const EMBEDDED_TYPE_URLS = [
  HTTP_CONNECTION_MANAGER_TYPE_URL,
  ROUTER_TYPE_URL,
  PREVIOUS_HOSTS_PREDICATE_TYPE_URL,
  HTTP_PROTOCOL_OPTIONS_TYPE_URL,
  TCP_PROXY_TYPE_URL,
  DOWNSTREAM_TLS_CONTEXT_TYPE_URL,
  UPSTREAM_TLS_CONTEXT_TYPE_URL,
  TLS_INSPECTOR_TYPE_URL,
] as const;

/** `type.googleapis.com/envoy.config.cluster.v3.Cluster` → `envoy.config.cluster.v3.Cluster`. */
export function toMessageName(typeUrl: string): string {
  return typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
}

/** `type.googleapis.com/envoy.config.cluster.v3.Cluster` → `Cluster`, as logs, metrics and `/status` name a type. */
export function toShortTypeName(typeUrl: string): string {
  return typeUrl.slice(typeUrl.lastIndexOf('.') + 1);
}
