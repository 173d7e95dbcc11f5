import { accessSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

import protobuf from 'protobufjs';

const require = createRequire(import.meta.url);
const XDS = join(dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
/**
 * Where imports are looked up, as protoc's -I: Envoy's API and its dependencies as shipped by
 * @grpc/grpc-js-xds, and protobufjs's copy of descriptor.proto.
 */
const INCLUDE = [
  ...['envoy-api', 'googleapis', 'protoc-gen-validate', 'xds'].map((d) => join(XDS, d)),
  dirname(require.resolve('protobufjs/package.json')),
];

/**
 * The files the xDS server needs: the discovery services, the resources it serves, and the
 * extensions those resources hold in an `Any` (the HTTP connection manager of an API listener,
 * its router filter, the retry host predicate of a route).
 */
export const XDS_PROTO_FILES = [
  'envoy/service/discovery/v3/ads.proto',
  'envoy/service/endpoint/v3/eds.proto',
  'envoy/service/cluster/v3/cds.proto',
  'envoy/service/listener/v3/lds.proto',
  'envoy/service/route/v3/rds.proto',
  'envoy/config/cluster/v3/cluster.proto',
  'envoy/config/endpoint/v3/endpoint.proto',
  'envoy/config/listener/v3/listener.proto',
  'envoy/config/route/v3/route.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
  'envoy/extensions/retry/host/previous_hosts/v3/previous_hosts.proto',
] as const;

/**
 * Loads Envoy's own `.proto` files (as @grpc/grpc-js-xds ships them, field names as written,
 * options kept) into one resolved protobufjs Root. Google's well-known types that no include
 * folder holds come from protobufjs's bundled definitions.
 */
export function loadEnvoyProtos(files: readonly string[]): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => {
    for (const dir of INCLUDE) {
      try {
        accessSync(join(dir, target));
        return join(dir, target);
      } catch {
        continue;
      }
    }
    return target;
  };
  root.loadSync([...files], { keepCase: true });
  root.resolveAll();
  return root;
}
