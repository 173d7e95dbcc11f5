// Writes src/transports/grpc/envoy-protos.json, the descriptor of Envoy's messages the agent
// loads, from the .proto files of the pinned @grpc/grpc-js-xds (a dev dependency). Run it after
// changing the proto set (ENVOY_PROTO_MESSAGES) or that package's version; a test fails while
// the committed file differs from what this writes.
//
// Usage: npm run gen:protos
import { writeFileSync } from 'node:fs';

import { buildEnvoyDescriptor, DESCRIPTOR_PATH } from './build-envoy-descriptor.js';

writeFileSync(DESCRIPTOR_PATH, buildEnvoyDescriptor());
process.stdout.write(`wrote ${DESCRIPTOR_PATH}\n`);
