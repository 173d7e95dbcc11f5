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

/** The files the xDS server needs: the discovery services and the resources it serves. */
export const XDS_PROTO_FILES = [
  'envoy/service/discovery/v3/ads.proto',
  'envoy/service/endpoint/v3/eds.proto',
  'envoy/service/cluster/v3/cds.proto',
  'envoy/config/cluster/v3/cluster.proto',
  'envoy/config/endpoint/v3/endpoint.proto',
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
