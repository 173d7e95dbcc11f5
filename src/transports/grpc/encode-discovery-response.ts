import type { AnyMessage, DeltaResponse, SotwResponse } from './xds-protocol.js';

// The server's responses, written straight to the wire format from bytes encoded before: each
// resource is packed into its `Any` once per version (`toAnyMessage`), and a response copies
// those bytes behind a few tags and lengths. A response of 10,000 resources costs one
// allocation and a copy (about a millisecond), not 10,000 protobufjs messages built and
// encoded at once, which blocked the event loop for tens of milliseconds. The bytes are those
// protobufjs writes for the same message (fields in number order, strings given are written
// even when empty), which a test checks.

/** A length-delimited field's tag (wire type 2). */
const tagOf = (field: number) => (field << 3) | 2;

/** What a message is made of: a length-delimited field each, in field-number order. */
type Part = readonly [field: number, value: string | Uint8Array];

const varintLength = (value: number) =>
  value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x200000 ? 3 : value < 0x10000000 ? 4 : 5;

/** Bytes of `part`'s value, for strings their UTF-8 length. */
const valueLength = ([, value]: Part) =>
  typeof value === 'string' ? Buffer.byteLength(value) : value.length;

/** The encoded length of `parts` as a message's fields. */
function measure(parts: readonly Part[]): number {
  let length = 0;
  for (const part of parts) {
    const bytes = valueLength(part);
    length += 1 + varintLength(bytes) + bytes;
  }
  return length;
}

function writeVarint(into: Buffer, at: number, value: number): number {
  let rest = value;
  while (rest >= 0x80) {
    into[at++] = (rest & 0x7f) | 0x80;
    rest = Math.floor(rest / 128);
  }
  into[at++] = rest;
  return at;
}

/** Writes `parts` into `into` at `at`; where the writing ended. */
function writeParts(into: Buffer, at: number, parts: readonly Part[]): number {
  let offset = at;
  for (const part of parts) {
    const [field, value] = part;
    into[offset++] = tagOf(field);
    offset = writeVarint(into, offset, valueLength(part));
    offset +=
      typeof value === 'string' ? into.write(value, offset, 'utf8') : copy(value, into, offset);
  }
  return offset;
}

function copy(from: Uint8Array, into: Buffer, at: number): number {
  into.set(from, at);
  return from.length;
}

/** `parts` as one encoded message. */
function encodeParts(parts: readonly Part[]): Buffer {
  const bytes = Buffer.allocUnsafe(measure(parts));
  writeParts(bytes, 0, parts);
  return bytes;
}

/** Packs `value`, a message of `typeUrl` already encoded, into an `Any`, encoding that too. */
export function toAnyMessage(typeUrl: string, value: Uint8Array): AnyMessage {
  return {
    type_url: typeUrl,
    value,
    bytes: encodeParts([
      [1, typeUrl],
      [2, value],
    ]),
  };
}

/** `DiscoveryResponse`: version_info 1, resources 2, type_url 4, nonce 5. */
export function encodeSotwResponse(response: SotwResponse): Buffer {
  return encodeParts([
    [1, response.version_info],
    ...response.resources.map((any): Part => [2, any.bytes]),
    [4, response.type_url],
    [5, response.nonce],
  ]);
}

/**
 * `DeltaDiscoveryResponse`: system_version_info 1, resources 2, type_url 4, nonce 5,
 * removed_resources 6; each `Resource`: version 1, resource 2, name 3.
 */
export function encodeDeltaResponse(response: DeltaResponse): Buffer {
  return encodeParts([
    [1, response.system_version_info],
    ...response.resources.map(({ name, version, resource }): Part => [
      2,
      encodeParts([
        [1, version],
        [2, resource.bytes],
        [3, name],
      ]),
    ]),
    [4, response.type_url],
    [5, response.nonce],
    ...response.removed_resources.map((name): Part => [6, name]),
  ]);
}
