import { accessSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

import protobuf from 'protobufjs';

const require = createRequire(import.meta.url);
const XDS = join(dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
const PROTOBUFJS = dirname(require.resolve('protobufjs/package.json'));
/** Where imports are looked up, as protoc's -I: Envoy's API and its dependencies as shipped by @grpc/grpc-js-xds. */
const INCLUDE = [
  ...['envoy-api', 'googleapis', 'protoc-gen-validate', 'xds'].map((d) => join(XDS, d)),
  PROTOBUFJS,
];

let root: protobuf.Root | undefined;

/**
 * Envoy's own message definitions (the real .proto files, field names as written, options kept),
 * loaded once: discovery, endpoint and bootstrap APIs.
 */
export function loadEnvoyProtos(): protobuf.Root {
  if (root) return root;
  const loaded = new protobuf.Root();
  loaded.resolvePath = (_origin, target) => {
    for (const dir of INCLUDE) {
      try {
        accessSync(join(dir, target));
        return join(dir, target);
      } catch {
        continue;
      }
    }
    return target; // google/protobuf/*.proto: protobufjs's bundled well-known types
  };
  loaded.loadSync(
    [
      'envoy/service/discovery/v3/discovery.proto',
      'envoy/config/endpoint/v3/endpoint.proto',
      'envoy/config/bootstrap/v3/bootstrap.proto',
      'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
      'envoy/extensions/filters/http/router/v3/router.proto',
      'envoy/extensions/retry/host/previous_hosts/v3/previous_hosts.proto',
    ],
    { keepCase: true },
  );
  loaded.resolveAll();
  root = loaded;
  return loaded;
}
