import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { countWireFields } from '../../src/transports/grpc/count-wire-fields.js';
import {
  DISCOVERY_MESSAGES,
  loadEnvoyProtos,
} from '../../src/transports/grpc/load-envoy-protos.js';

const root = loadEnvoyProtos();
const sotw = root.lookupType(DISCOVERY_MESSAGES.sotw.request);
const delta = root.lookupType(DISCOVERY_MESSAGES.delta.request);
const idOf = (type: typeof sotw, field: string) => type.fields[field]?.id ?? -1;
const name = fc.string({ maxLength: 300 });
const node = fc.record({ id: name, cluster: name });

describe('counting a request’s names on the wire', () => {
  it('finds as many entries as the encoder wrote, whatever surrounds them', () => {
    fc.assert(
      fc.property(
        fc.record({
          node,
          version_info: name,
          resource_names: fc.array(name, { maxLength: 200 }),
          response_nonce: name,
          error_detail: fc.option(fc.record({ code: fc.nat(), message: name }), {
            nil: undefined,
          }),
        }),
        (request) => {
          const bytes = sotw.encode(sotw.fromObject(request)).finish();
          expect(countWireFields(bytes, [idOf(sotw, 'resource_names')])).toEqual([
            request.resource_names.length,
          ]);
        },
      ),
    );
    fc.assert(
      fc.property(
        fc.record({
          node,
          resource_names_subscribe: fc.array(name, { maxLength: 100 }),
          resource_names_unsubscribe: fc.array(name, { maxLength: 100 }),
          initial_resource_versions: fc.dictionary(name, name, { maxKeys: 50 }),
        }),
        (request) => {
          const bytes = delta.encode(delta.fromObject(request)).finish();
          const fields = [
            'resource_names_subscribe',
            'resource_names_unsubscribe',
            'initial_resource_versions',
          ];
          expect(
            countWireFields(
              bytes,
              fields.map((field) => idOf(delta, field)),
            ),
          ).toEqual([
            request.resource_names_subscribe.length,
            request.resource_names_unsubscribe.length,
            Object.keys(request.initial_resource_versions).length,
          ]);
        },
      ),
    );
  });

  it.each([
    ['a field of wire type 7', [0x0f]],
    ['a group (wire type 3)', [0x0b, 0x0c]],
    ['a varint cut short', [0x08, 0xff]],
    ['a length past the end', [0x1a, 0x05, 0x61]],
    ['a fixed64 cut short', [0x09, 0x01, 0x02]],
  ])('says nothing of bytes that are not a message (%s)', (_what, bytes) => {
    expect(countWireFields(Uint8Array.from(bytes), [3])).toBeUndefined();
  });

  it('reads any bytes without throwing', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const counts = countWireFields(bytes, [3]);
        expect(counts === undefined || (counts[0] ?? -1) >= 0).toBe(true);
      }),
    );
  });
});
