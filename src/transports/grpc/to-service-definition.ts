import type * as grpc from '@grpc/grpc-js';
import type protobuf from 'protobufjs';

import { fail, ok, type Result } from '../../core/result.js';
import { DISCOVERY_MESSAGES } from './load-envoy-protos.js';

/**
 * A bidirectional-streaming method of Envoy's discovery API, with protobuf (de)serializers:
 * `DiscoveryRequest`/`Response` for `sotw`, `DeltaDiscoveryRequest`/`Response` for `delta`.
 * The server reads each request as a Result: bytes that do not decode are the client's
 * mistake (INVALID_ARGUMENT), not an exception inside grpc-js (INTERNAL).
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
      requestDeserialize: (bytes: Buffer): Result<object> => {
        try {
          return ok(request.toObject(request.decode(bytes), toObject));
        } catch (error) {
          return fail([`cannot decode the request: ${(error as Error).message}`]);
        }
      },
      // The server's responses are built with each field's own type (strings, byte arrays), so
      // they are encoded as they are, without a conversion pass over every resource.
      responseSerialize: (value: object) => Buffer.from(response.encode(value).finish()),
      responseDeserialize: (bytes: Buffer) => response.toObject(response.decode(bytes), toObject),
    },
  };
}
