import type protobuf from 'protobufjs';

import { DEFINING_FILES } from '../../../scripts/build-envoy-descriptor.js';
import { loadEnvoyProtoFiles } from '../../../scripts/load-envoy-proto-files.js';

let root: protobuf.Root | undefined;

/**
 * Envoy's own message definitions (the real .proto files, field names as written, options kept),
 * loaded once: those of the agent's descriptor (`DEFINING_FILES`: discovery, the resources,
 * the filters they hold) and the bootstrap API.
 */
export function loadEnvoyProtos(): protobuf.Root {
  if (root) return root;
  // The files the agent's descriptor is built from, read here with every option kept.
  const loaded = loadEnvoyProtoFiles([
    ...DEFINING_FILES,
    'envoy/config/bootstrap/v3/bootstrap.proto',
  ]);
  root = loaded;
  return loaded;
}
