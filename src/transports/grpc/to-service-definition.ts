import type * as grpc from '@grpc/grpc-js';
import type protobuf from 'protobufjs';

import { encodeDeltaResponse, encodeSotwResponse } from './encode-discovery-response.js';
import { DISCOVERY_MESSAGES } from './load-envoy-protos.js';

/**
 * A bidirectional-streaming method of Envoy's discovery API, with protobuf serializers:
 * `DiscoveryRequest`/`Response` for `sotw`, `DeltaDiscoveryRequest`/`Response` for `delta`.
 * A server is handed each request as its bytes, to decode in its own time
 * (`createRequestDecoder`): grpc-js would decode it the moment it arrives, however large.
 */
export function toServiceDefinition(
  root: protobuf.Root,
  path: string,
  method: string,
  kind: 'sotw' | 'delta',
): grpc.ServiceDefinition {
  const request = root.lookupType(DISCOVERY_MESSAGES[kind].request);
  const response = root.lookupType(DISCOVERY_MESSAGES[kind].response);
  const toObject = { longs: String, enums: String, defaults: false, arrays: true } as const;
  return {
    [method]: {
      path,
      requestStream: true,
      responseStream: true,
      originalName: method,
      requestSerialize: (value: object) =>
        Buffer.from(request.encode(request.fromObject(value)).finish()),
      requestDeserialize: (bytes: Buffer) => bytes,
      // The server's responses are written from their resources' bytes, encoded before.
      responseSerialize: kind === 'sotw' ? encodeSotwResponse : encodeDeltaResponse,
      responseDeserialize: (bytes: Buffer) => response.toObject(response.decode(bytes), toObject),
    },
  };
}
