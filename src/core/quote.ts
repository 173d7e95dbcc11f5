/** The longest user-supplied text a message quotes whole. */
export const QUOTE_LIMIT = 64;

/**
 * `value` as a JSON string for a message, cut to `QUOTE_LIMIT` characters with its real length
 * said, so a 64 KB label cannot make a 128 KB log line: `"aaaa…" (65536 characters)`.
 */
export function quote(value: string): string {
  if (value.length <= QUOTE_LIMIT) return JSON.stringify(value);
  return `${JSON.stringify(`${value.slice(0, QUOTE_LIMIT)}…`)} (${value.length} characters)`;
}
