import type protobuf from 'protobufjs';

import { fail, ok, type Result } from '../../core/result.js';
import { checkRequestNames } from './check-name-limits.js';
import { countWireFields } from './count-wire-fields.js';
import { DISCOVERY_MESSAGES } from './load-envoy-protos.js';
import type { NameLimits } from './xds-protocol.js';

/** The lists of names in each variant's request: what `limits` bound per request. */
const NAME_FIELDS = {
  sotw: ['resource_names'],
  delta: ['resource_names_subscribe', 'resource_names_unsubscribe', 'initial_resource_versions'],
} as const;

/**
 * Reads the bytes of a `DiscoveryRequest` (`sotw`) or `DeltaDiscoveryRequest` (`delta`) as a
 * Result: bytes that do not decode are the client's mistake (INVALID_ARGUMENT), not an
 * exception. A request with more names in a list than `limits` allow is refused from its
 * bytes, before a single name is decoded.
 */
export function createRequestDecoder(
  root: protobuf.Root,
  kind: 'sotw' | 'delta',
  limits: NameLimits,
): (bytes: Uint8Array) => Result<object> {
  const request = root.lookupType(DISCOVERY_MESSAGES[kind].request);
  const nameFields = NAME_FIELDS[kind];
  const nameFieldIds = nameFields.map((field) => request.fields[field]?.id ?? -1);
  const toObject = { longs: String, enums: String, defaults: false, arrays: true } as const;
  return (bytes) => {
    const counts = countWireFields(bytes, nameFieldIds) ?? [];
    for (const [index, count] of counts.entries()) {
      const problem = checkRequestNames(nameFields[index] ?? '', count, limits);
      if (problem !== undefined) return fail([problem]);
    }
    try {
      return ok(request.toObject(request.decode(bytes), toObject));
    } catch (error) {
      return fail([`cannot decode the request: ${(error as Error).message}`]);
    }
  };
}
