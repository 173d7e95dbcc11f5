/**
 * How many times each field of `fieldNumbers` occurs at the top level of the protobuf message
 * `bytes`, read from the wire without decoding anything (a repeated string or map field occurs
 * once per entry): the price of refusing a request with a million names is one pass over its
 * bytes, not a million strings. `undefined` when the bytes are not a well-formed message; the
 * decoder then says why.
 */
export function countWireFields(
  bytes: Uint8Array,
  fieldNumbers: readonly number[],
): number[] | undefined {
  const counts = fieldNumbers.map(() => 0);
  let at = 0;
  /** The varint at `at` (moving past it), or -1 when it runs past the end or over 35 bits. */
  const varint = (): number => {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (at >= bytes.length) return -1;
      const byte = bytes[at++] ?? 0;
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
    return -1;
  };
  while (at < bytes.length) {
    const tag = varint();
    if (tag < 0) return undefined;
    const field = Math.floor(tag / 8);
    switch (tag % 8) {
      case 0:
        if (varint() < 0) return undefined;
        break;
      case 1:
        at += 8;
        break;
      case 2: {
        const length = varint();
        if (length < 0) return undefined;
        at += length;
        break;
      }
      case 5:
        at += 4;
        break;
      default:
        // Groups (3, 4) are not in proto3 messages; 6 and 7 are no wire type.
        return undefined;
    }
    if (at > bytes.length) return undefined;
    const index = fieldNumbers.indexOf(field);
    if (index >= 0) counts[index] = (counts[index] ?? 0) + 1;
  }
  return counts;
}
