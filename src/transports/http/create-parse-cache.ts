import { hash } from 'node:crypto';

import type { Result } from '../../core/result.js';
import type { DiscoveryApi } from './discovery-api.js';
import { type DiscoveryRequest, parseDiscoveryRequest } from './parse-discovery-request.js';

/** Bodies larger than this are parsed every time (an Envoy's poll is 2-10 KB). */
const MAX_CACHED_BYTES = 16 * 1024;

/**
 * `parseDiscoveryRequest`, remembering its results for the last `size` distinct bodies. An
 * Envoy sends the same poll, byte for byte, until its accepted version changes, and most of it
 * is its `node` (a few KB of JSON that parses into hundreds of objects); parsing it again at
 * every poll was most of what the garbage collector had to do under load. A body is found by
 * its SHA-1 and then compared byte for byte, so a hit allocates next to nothing and a collision
 * can only cost a parse. Results are immutable.
 */
export function createParseCache(
  size = 256,
): (body: Buffer | undefined, api: DiscoveryApi) => Result<DiscoveryRequest> {
  const cache = new Map<string, { body: Buffer; parsed: Result<DiscoveryRequest> }>();
  return (body, api) => {
    if (body === undefined || body.length > MAX_CACHED_BYTES)
      return parseDiscoveryRequest(body, api);
    const key = `${api}${hash('sha1', body)}`;
    const hit = cache.get(key);
    if (hit?.body.equals(body)) {
      cache.delete(key); // re-inserted last: the Map's order is the order of use
      cache.set(key, hit);
      return hit.parsed;
    }
    const parsed = parseDiscoveryRequest(body, api);
    cache.set(key, { body: Buffer.from(body), parsed });
    if (cache.size > size) cache.delete(cache.keys().next().value ?? '');
    return parsed;
  };
}
