import type { Subscription } from './subscription.js';
import type { NameLimits } from './xds-protocol.js';

/**
 * Why one list of a request (`resource_names`, `resource_names_subscribe`, ...) is refused:
 * it holds more than `maxNames` entries. Checked before anything is done with the names, so
 * an oversized request costs nothing per name.
 */
export function checkRequestNames(
  field: string,
  count: number,
  limits: NameLimits,
): string | undefined {
  return count > limits.maxNames
    ? `${field}: at most ${limits.maxNames} resource names per request, got ${count}`
    : undefined;
}

/** Why a stream's subscriptions, all types together, are refused: too many names, or bytes. */
export function checkStreamNames(
  subscriptions: Iterable<Subscription>,
  limits: NameLimits,
): string | undefined {
  let names = 0;
  let bytes = 0;
  for (const subscription of subscriptions) {
    names += subscription.names.size;
    bytes += subscription.nameBytes;
  }
  if (names > limits.maxNames)
    return `at most ${limits.maxNames} resource names per stream, got ${names}`;
  if (bytes > limits.maxNameBytes)
    return `at most ${limits.maxNameBytes} bytes of resource names per stream, got ${bytes}`;
  return undefined;
}
