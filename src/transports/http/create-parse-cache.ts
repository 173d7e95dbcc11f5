import { hash } from 'node:crypto';

import type { Result } from '../../core/result.js';
import type { DiscoveryApi } from './discovery-api.js';
import { type DiscoveryRequest, parseDiscoveryRequest } from './parse-discovery-request.js';

/** How much the cache may hold: the bodies kept, together, and the largest one kept. */
export interface ParseCacheBounds {
  /** Bytes of bodies kept at once (what they parse to is smaller). Defaults to 4 MiB. */
  readonly maxBytes?: number;
  /** Bodies larger than this are parsed every time (an Envoy's poll is 2-10 KB). Defaults to 16 KiB. */
  readonly maxEntryBytes?: number;
}

/** `parseDiscoveryRequest`, remembering recent results; `retainedBytes` is what it holds now. */
export interface ParseCache {
  (body: Buffer | undefined, api: DiscoveryApi): Result<DiscoveryRequest>;
  readonly retainedBytes: number;
}

/**
 * `parseDiscoveryRequest`, remembering its results for the most recent distinct bodies, within
 * a bound in bytes. An Envoy sends the same poll, byte for byte, until its accepted version
 * changes, and most of it is its `node` (a few KB of JSON that parses into hundreds of
 * objects); parsing it again at every poll was most of what the garbage collector had to do
 * under load. A body is found by its SHA-1 and then compared byte for byte, so a hit allocates
 * next to nothing and a collision can only cost a parse. Results are immutable; the least
 * recently used go first once the bodies kept would pass `maxBytes`.
 */
export function createParseCache({
  maxBytes = 4 * 1024 * 1024,
  maxEntryBytes = 16 * 1024,
}: ParseCacheBounds = {}): ParseCache {
  const cache = new Map<string, { body: Buffer; parsed: Result<DiscoveryRequest> }>();
  let retainedBytes = 0;
  const parse = (body: Buffer | undefined, api: DiscoveryApi): Result<DiscoveryRequest> => {
    if (body === undefined || body.length > maxEntryBytes) return parseDiscoveryRequest(body, api);
    const key = `${api}${hash('sha1', body)}`;
    const hit = cache.get(key);
    if (hit?.body.equals(body)) {
      cache.delete(key); // re-inserted last: the Map's order is the order of use
      cache.set(key, hit);
      return hit.parsed;
    }
    const parsed = parseDiscoveryRequest(body, api);
    if (hit) {
      cache.delete(key);
      retainedBytes -= hit.body.length;
    }
    cache.set(key, { body: Buffer.from(body), parsed });
    retainedBytes += body.length;
    for (const [oldest, entry] of cache) {
      if (retainedBytes <= maxBytes) break;
      cache.delete(oldest);
      retainedBytes -= entry.body.length;
    }
    return parsed;
  };
  return Object.defineProperty(parse, 'retainedBytes', { get: () => retainedBytes }) as ParseCache;
}
