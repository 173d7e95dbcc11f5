/**
 * The `node` object Envoy sends in full on every REST poll (shape of Envoy 1.3x's bootstrap
 * node plus what Envoy adds itself: user agent, build version, extensions, client features).
 * It is a few KB; the server must accept it and ignore what it does not use.
 */
const EXTENSIONS: [category: string, names: string[]][] = [
  [
    'envoy.filters.network',
    [
      'envoy.filters.network.http_connection_manager',
      'envoy.filters.network.tcp_proxy',
      'envoy.filters.network.redis_proxy',
      'envoy.filters.network.mongo_proxy',
      'envoy.filters.network.rbac',
      'envoy.filters.network.ext_authz',
      'envoy.filters.network.local_ratelimit',
      'envoy.filters.network.sni_cluster',
    ],
  ],
  [
    'envoy.filters.http',
    [
      'envoy.filters.http.router',
      'envoy.filters.http.cors',
      'envoy.filters.http.fault',
      'envoy.filters.http.buffer',
      'envoy.filters.http.lua',
      'envoy.filters.http.ext_authz',
      'envoy.filters.http.grpc_web',
      'envoy.filters.http.health_check',
      'envoy.filters.http.jwt_authn',
      'envoy.filters.http.compressor',
      'envoy.filters.http.local_ratelimit',
      'envoy.filters.http.rbac',
    ],
  ],
  [
    'envoy.clusters',
    [
      'envoy.cluster.eds',
      'envoy.cluster.static',
      'envoy.cluster.strict_dns',
      'envoy.cluster.logical_dns',
      'envoy.cluster.original_dst',
      'envoy.clusters.aggregate',
      'envoy.clusters.dynamic_forward_proxy',
    ],
  ],
  [
    'envoy.load_balancing_policies',
    [
      'envoy.load_balancing_policies.round_robin',
      'envoy.load_balancing_policies.least_request',
      'envoy.load_balancing_policies.ring_hash',
      'envoy.load_balancing_policies.maglev',
      'envoy.load_balancing_policies.random',
    ],
  ],
  [
    'envoy.config_subscription',
    [
      'envoy.config_subscription.rest',
      'envoy.config_subscription.grpc',
      'envoy.config_subscription.delta_grpc',
      'envoy.config_subscription.ads',
      'envoy.config_subscription.filesystem',
    ],
  ],
  [
    'envoy.transport_sockets.upstream',
    [
      'envoy.transport_sockets.tls',
      'envoy.transport_sockets.raw_buffer',
      'envoy.transport_sockets.upstream_proxy_protocol',
      'envoy.transport_sockets.http_11_proxy',
    ],
  ],
  [
    'envoy.access_loggers',
    [
      'envoy.access_loggers.file',
      'envoy.access_loggers.stdout',
      'envoy.access_loggers.stderr',
      'envoy.access_loggers.http_grpc',
      'envoy.access_loggers.open_telemetry',
    ],
  ],
  [
    'envoy.stats_sinks',
    [
      'envoy.stat_sinks.statsd',
      'envoy.stat_sinks.dog_statsd',
      'envoy.stat_sinks.metrics_service',
      'envoy.stat_sinks.hystrix',
    ],
  ],
];

export const ENVOY_NODE = {
  id: 'envoy-front-proxy-7f9c',
  cluster: 'front-proxy',
  metadata: { team: 'shop', 'envoy.lb': { canary: false } },
  locality: { region: 'eu', zone: 'eu-1a' },
  user_agent_name: 'envoy',
  user_agent_build_version: {
    version: { major_number: 1, minor_number: 32, patch: 2 },
    metadata: {
      'revision.sha': '9c3f1d8e2a7b4c6d5e0f1a2b3c4d5e6f7a8b9c0d',
      'revision.status': 'Clean',
      'build.type': 'RELEASE',
      'ssl.version': 'BoringSSL',
    },
  },
  extensions: EXTENSIONS.flatMap(([category, names]) => names.map((name) => ({ name, category }))),
  client_features: [
    'envoy.lb.does_not_support_overprovisioning',
    'envoy.lrs.supports_send_all_clusters',
    'envoy.config.supports-resource-ttl',
  ],
};
