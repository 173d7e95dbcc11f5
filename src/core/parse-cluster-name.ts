import { quote } from './quote.js';
import { fail, ok, type Result } from './result.js';

const CLUSTER_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,254}$/;

/**
 * Checks that `value` can be used as an Envoy cluster name everywhere we put one: in labels,
 * in URL paths and in Envoy's stats. Accepts 1-255 characters from letters, digits, `_ . : -`,
 * not starting with a punctuation character other than `_`.
 */
export function parseClusterName(value: string, path: string): Result<string> {
  if (CLUSTER_NAME.test(value)) return ok(value);
  return fail([
    `${path}: expected a cluster name (1-255 of A-Z a-z 0-9 _ . : -, starting with a letter, digit or _), got ${quote(value)}`,
  ]);
}
