import type protobuf from 'protobufjs';

import { loadEnvoyProtoFiles } from '../../../scripts/load-envoy-proto-files.js';

let root: protobuf.Root | undefined;

/**
 * Envoy's own message definitions (the real .proto files, field names as written, options kept),
 * loaded once: discovery, endpoint, cluster, listener, route, TLS (secrets) and bootstrap APIs.
 */
export function loadEnvoyProtos(): protobuf.Root {
  if (root) return root;
  const loaded = loadEnvoyProtoFiles([
    'envoy/service/discovery/v3/discovery.proto',
    'envoy/config/endpoint/v3/endpoint.proto',
    'envoy/config/cluster/v3/cluster.proto',
    'envoy/config/listener/v3/listener.proto',
    'envoy/config/route/v3/route.proto',
    'envoy/config/bootstrap/v3/bootstrap.proto',
    'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
    'envoy/extensions/filters/http/router/v3/router.proto',
    'envoy/extensions/retry/host/previous_hosts/v3/previous_hosts.proto',
    'envoy/extensions/upstreams/http/v3/http_protocol_options.proto',
    'envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.proto',
    'envoy/extensions/transport_sockets/tls/v3/secret.proto',
    'envoy/extensions/transport_sockets/tls/v3/tls.proto',
    'envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector.proto',
    'envoy/extensions/filters/http/basic_auth/v3/basic_auth.proto',
    'envoy/extensions/filters/http/ext_authz/v3/ext_authz.proto',
    'envoy/extensions/filters/http/header_mutation/v3/header_mutation.proto',
    'envoy/extensions/filters/http/jwt_authn/v3/config.proto',
    'envoy/extensions/filters/http/local_ratelimit/v3/local_rate_limit.proto',
    'envoy/extensions/filters/http/rbac/v3/rbac.proto',
    'envoy/extensions/filters/http/cors/v3/cors.proto',
    'envoy/extensions/filters/http/compressor/v3/compressor.proto',
    'envoy/extensions/compression/gzip/compressor/v3/gzip.proto',
    'envoy/extensions/compression/brotli/compressor/v3/brotli.proto',
    'envoy/extensions/filters/http/stateful_session/v3/stateful_session.proto',
    'envoy/extensions/http/stateful_session/cookie/v3/cookie.proto',
    'envoy/extensions/filters/listener/proxy_protocol/v3/proxy_protocol.proto',
  ]);
  root = loaded;
  return loaded;
}
