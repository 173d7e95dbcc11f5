/** The longest node id kept of a client (Envoy's are short; `/status` and the logs show them). */
export const MAX_NODE_ID_LENGTH = 256;

/**
 * The first `max` characters of `value`, as a string of their own. A client's text kept for
 * later (a node id, a version it claims, a NACK's message) is clipped with this: in V8 a slice
 * of a long string keeps the whole of it alive, so 256 characters of a 1 MB node id would
 * hold on to the megabyte for as long as the record lives. A `value` no longer than `max` is
 * returned as it is (the strings JSON.parse and protobufjs make are their own).
 */
export function clipText(value: string, max: number): string {
  if (value.length <= max) return value;
  return Buffer.from(value.slice(0, max), 'utf16le').toString('utf16le');
}
