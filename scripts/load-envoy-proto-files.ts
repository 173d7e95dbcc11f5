import { accessSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

import protobuf from 'protobufjs';

const require = createRequire(import.meta.url);
/** Envoy's API and its dependencies, as the pinned @grpc/grpc-js-xds (a dev dependency) ships them. */
const XDS = join(dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
/** Where imports are looked up, as protoc's -I: those folders, and protobufjs's copy of descriptor.proto. */
const INCLUDE = [
  ...['envoy-api', 'googleapis', 'protoc-gen-validate', 'xds'].map((d) => join(XDS, d)),
  dirname(require.resolve('protobufjs/package.json')),
];

/**
 * Loads Envoy's own `.proto` files (field names as written, options such as the
 * `validate.rules` kept) into one resolved protobufjs Root. Google's well-known types that no
 * include folder holds come from protobufjs's bundled definitions. For development only:
 * `npm run gen:protos` makes the agent's descriptor from these, and the conformance tests check
 * answers against them. The agent itself never reads a `.proto` file.
 */
export function loadEnvoyProtoFiles(files: readonly string[]): protobuf.Root {
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
