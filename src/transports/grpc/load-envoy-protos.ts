import protobuf from 'protobufjs';

import { EMBEDDED_TYPE_URLS, toMessageName } from '../../core/type-urls.js';
import descriptor from './envoy-protos.json' with { type: 'json' };
import { XDS_TYPES } from './xds-types.js';

/** The request and response messages of each protocol variant. */
export const DISCOVERY_MESSAGES = {
  sotw: {
    request: 'envoy.service.discovery.v3.DiscoveryRequest',
    response: 'envoy.service.discovery.v3.DiscoveryResponse',
  },
  delta: {
    request: 'envoy.service.discovery.v3.DeltaDiscoveryRequest',
    response: 'envoy.service.discovery.v3.DeltaDiscoveryResponse',
  },
} as const;

/**
 * The proto set: the messages the server reads and writes. `npm run gen:protos` writes
 * `envoy-protos.json` with these and every type they refer to, from Envoy's own `.proto`
 * files, and a test fails when the file differs from what it would write.
 */
export const ENVOY_PROTO_MESSAGES: readonly string[] = [
  ...Object.values(DISCOVERY_MESSAGES).flatMap(({ request, response }) => [request, response]),
  ...[...XDS_TYPES.map((type) => type.typeUrl), ...EMBEDDED_TYPE_URLS].map(toMessageName),
];

let root: protobuf.Root | undefined;

/**
 * Envoy's message definitions the server needs (the proto set, field names as Envoy writes
 * them), from the descriptor generated into `envoy-protos.json`: no `.proto` file is read at
 * run time. Built once; the root is only read afterwards.
 */
export function loadEnvoyProtos(): protobuf.Root {
  root ??= protobuf.Root.fromJSON(descriptor);
  return root;
}
