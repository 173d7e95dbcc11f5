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
  ]);
  root = loaded;
  return loaded;
}
