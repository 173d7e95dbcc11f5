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

/** A route's config of one HTTP filter, which also enables a filter the chain disables. */
export const FILTER_CONFIG_TYPE_URL = 'type.googleapis.com/envoy.config.route.v3.FilterConfig';

/** HTTP Basic authentication (`eds.auth.basic`): the filter, and its users per route. */
export const BASIC_AUTH_TYPE_URL =
  'type.googleapis.com/envoy.extensions.filters.http.basic_auth.v3.BasicAuth';
export const BASIC_AUTH_PER_ROUTE_TYPE_URL =
  'type.googleapis.com/envoy.extensions.filters.http.basic_auth.v3.BasicAuthPerRoute';

/** Forward authentication (`eds.auth.forward`): the filter, and its switch per route. */
export const EXT_AUTHZ_TYPE_URL =
  'type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz';
export const EXT_AUTHZ_PER_ROUTE_TYPE_URL =
  'type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute';

/** Header mutation: the headers a forward-auth service copies, removed from the client's request first. */
export const HEADER_MUTATION_TYPE_URL =
  'type.googleapis.com/envoy.extensions.filters.http.header_mutation.v3.HeaderMutation';
export const HEADER_MUTATION_PER_ROUTE_TYPE_URL =
  'type.googleapis.com/envoy.extensions.filters.http.header_mutation.v3.HeaderMutationPerRoute';

/** JWT authentication (`eds.auth.jwt.*`): the filter with its providers, and a route's requirement. */
export const JWT_AUTHN_TYPE_URL =
  'type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication';
export const JWT_PER_ROUTE_TYPE_URL =
  'type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.PerRouteConfig';

/** The local rate limit (`eds.ratelimit`), the same message in the chain and per route. */
export const LOCAL_RATE_LIMIT_TYPE_URL =
  'type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit';

/** Role-based access control (`eds.allow_ips`, `eds.deny_ips`): the filter, and its rules per route. */
export const RBAC_TYPE_URL = 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC';
export const RBAC_PER_ROUTE_TYPE_URL =
  'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBACPerRoute';

/** CORS (`eds.cors.*`): the filter, and its policy per route. */
export const CORS_TYPE_URL = 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors';
export const CORS_POLICY_TYPE_URL =
  'type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy';

/** Compression (`eds.compress`): the filter, its per-route switch, and its two libraries. */
export const COMPRESSOR_TYPE_URL =
  'type.googleapis.com/envoy.extensions.filters.http.compressor.v3.Compressor';
export const COMPRESSOR_PER_ROUTE_TYPE_URL =
  'type.googleapis.com/envoy.extensions.filters.http.compressor.v3.CompressorPerRoute';
export const GZIP_COMPRESSOR_TYPE_URL =
  'type.googleapis.com/envoy.extensions.compression.gzip.compressor.v3.Gzip';
export const BROTLI_COMPRESSOR_TYPE_URL =
  'type.googleapis.com/envoy.extensions.compression.brotli.compressor.v3.Brotli';

/** Sticky sessions (`eds.sticky`): the filter, its per-route session, and the cookie that keeps it. */
export const STATEFUL_SESSION_TYPE_URL =
  'type.googleapis.com/envoy.extensions.filters.http.stateful_session.v3.StatefulSession';
export const STATEFUL_SESSION_PER_ROUTE_TYPE_URL =
  'type.googleapis.com/envoy.extensions.filters.http.stateful_session.v3.StatefulSessionPerRoute';
export const COOKIE_SESSION_STATE_TYPE_URL =
  'type.googleapis.com/envoy.extensions.http.stateful_session.cookie.v3.CookieBasedSessionState';

/** A CEL expression over a request, as a local reply's filter (a JWT of another audience answered 401). */
export const CEL_FILTER_TYPE_URL =
  'type.googleapis.com/envoy.extensions.access_loggers.filters.cel.v3.ExpressionFilter';

/** The PROXY protocol listener filter (`--proxy-protocol`): the client's address from a load balancer. */
export const PROXY_PROTOCOL_TYPE_URL =
  'type.googleapis.com/envoy.extensions.filters.listener.proxy_protocol.v3.ProxyProtocol';

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
  FILTER_CONFIG_TYPE_URL,
  BASIC_AUTH_TYPE_URL,
  BASIC_AUTH_PER_ROUTE_TYPE_URL,
  EXT_AUTHZ_TYPE_URL,
  EXT_AUTHZ_PER_ROUTE_TYPE_URL,
  HEADER_MUTATION_TYPE_URL,
  HEADER_MUTATION_PER_ROUTE_TYPE_URL,
  JWT_AUTHN_TYPE_URL,
  JWT_PER_ROUTE_TYPE_URL,
  LOCAL_RATE_LIMIT_TYPE_URL,
  RBAC_TYPE_URL,
  RBAC_PER_ROUTE_TYPE_URL,
  CORS_TYPE_URL,
  CORS_POLICY_TYPE_URL,
  COMPRESSOR_TYPE_URL,
  COMPRESSOR_PER_ROUTE_TYPE_URL,
  GZIP_COMPRESSOR_TYPE_URL,
  BROTLI_COMPRESSOR_TYPE_URL,
  STATEFUL_SESSION_TYPE_URL,
  STATEFUL_SESSION_PER_ROUTE_TYPE_URL,
  COOKIE_SESSION_STATE_TYPE_URL,
  PROXY_PROTOCOL_TYPE_URL,
  CEL_FILTER_TYPE_URL,
] as const;

/** `type.googleapis.com/envoy.config.cluster.v3.Cluster` → `envoy.config.cluster.v3.Cluster`. */
export function toMessageName(typeUrl: string): string {
  return typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
}

/** `type.googleapis.com/envoy.config.cluster.v3.Cluster` → `Cluster`, as logs, metrics and `/status` name a type. */
export function toShortTypeName(typeUrl: string): string {
  return typeUrl.slice(typeUrl.lastIndexOf('.') + 1);
}
