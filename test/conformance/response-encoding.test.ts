import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  encodeDeltaResponse,
  encodeSotwResponse,
  toAnyMessage,
} from '../../src/transports/grpc/encode-discovery-response.js';
import {
  DISCOVERY_MESSAGES,
  loadEnvoyProtos,
} from '../../src/transports/grpc/load-envoy-protos.js';

// The gRPC server writes its responses from their resources' bytes, encoded before. They must
// be the very bytes protobufjs writes for the same message, and decode to what was meant.

const root = loadEnvoyProtos();
const sotw = root.lookupType(DISCOVERY_MESSAGES.sotw.response);
const delta = root.lookupType(DISCOVERY_MESSAGES.delta.response);
const any = root.lookupType('google.protobuf.Any');

// Names and versions of any length (multi-byte lengths) and any Unicode (multi-byte UTF-8).
const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 200 }),
);
const anyMessage = fc
  .record({ typeUrl: text, value: fc.uint8Array({ maxLength: 300 }) })
  .map(({ typeUrl, value }) => toAnyMessage(typeUrl, value));

describe("the gRPC server's response bytes", () => {
  it('pack an Any as protobufjs does', () => {
    fc.assert(
      fc.property(anyMessage, (message) => {
        const expected = any.encode({ type_url: message.type_url, value: message.value }).finish();
        expect(Buffer.from(message.bytes).equals(Buffer.from(expected))).toBe(true);
      }),
    );
  });

  it('are those of a state-of-the-world response encoded by protobufjs', () => {
    fc.assert(
      fc.property(
        fc.record({
          version_info: text,
          resources: fc.array(anyMessage, { maxLength: 20 }),
          type_url: text,
          nonce: text,
        }),
        (response) => {
          const expected = sotw.encode(response).finish();
          expect(encodeSotwResponse(response).equals(Buffer.from(expected))).toBe(true);
        },
      ),
    );
  });

  it('are those of a delta response encoded by protobufjs', () => {
    fc.assert(
      fc.property(
        fc.record({
          system_version_info: text,
          resources: fc.array(fc.record({ name: text, version: text, resource: anyMessage }), {
            maxLength: 20,
          }),
          type_url: text,
          removed_resources: fc.array(text, { maxLength: 10 }),
          nonce: text,
        }),
        (response) => {
          const expected = delta.encode(response).finish();
          expect(encodeDeltaResponse(response).equals(Buffer.from(expected))).toBe(true);
        },
      ),
    );
  });

  it('hold a resource larger than 2 MiB whole', () => {
    const value = new Uint8Array(3 * 1024 * 1024).fill(7);
    const bytes = encodeSotwResponse({
      version_info: 'v1',
      resources: [toAnyMessage('type.googleapis.com/x', value)],
      type_url: 'type.googleapis.com/x',
      nonce: '1',
    });
    const decoded = sotw.decode(bytes) as unknown as { resources: { value: Uint8Array }[] };
    expect(decoded.resources[0]?.value.length).toBe(value.length);
  });
});
