import type { Endpoint, Locality } from '../endpoint.js';
import type { GroupKey } from './endpoint-order.js';
import type { SortedChunks } from './sorted-chunks.js';

/** The served endpoints of one priority and locality: one `LocalityLbEndpoints`, in our words. */
export interface LocalityGroup {
  readonly key: GroupKey;
  readonly priority: number;
  readonly locality: Locality;
  /** Its endpoints, in their sort order (by address), in chunks (see `SortedChunks`). */
  readonly chunks: SortedChunks;
  /** Its endpoints, in their sort order, as one list (made when first read). */
  readonly members: readonly Endpoint[];
  /** Its members' weights together (1 each unless set), before the cap of `toLocalityWeight`. */
  readonly weightSum: number;
  /** Its `load_balancing_weight`. */
  readonly weight: number;
}

const UINT32_MAX = 0xffff_ffff;

/** A locality group of `chunks` (which must all be of `key`'s priority and locality). */
export function toLocalityGroup(
  key: GroupKey,
  chunks: SortedChunks,
  weightSum: number,
  weight: number,
): LocalityGroup {
  const [priority, region, zone, subZone] = key;
  let members: readonly Endpoint[] | undefined;
  return {
    key,
    priority,
    locality: { region, zone, subZone },
    chunks,
    get members() {
      return (members ??= chunks.flat());
    },
    weightSum,
    weight,
  };
}

/**
 * A locality's `load_balancing_weight`: as much as its endpoints together, so a client that
 * balances between localities (gRPC) gives every endpoint the share Envoy gives it by
 * default; capped so that the localities of one priority add up to at most 2^32 - 1, as
 * Envoy and gRPC require.
 */
export function toLocalityWeight(weightSum: number, localitiesAtPriority: number): number {
  return Math.min(weightSum, Math.floor(UINT32_MAX / Math.max(localitiesAtPriority, 1)));
}

/** What one endpoint adds to its group's `weightSum`. */
export function weightOf(endpoint: Endpoint): number {
  return endpoint.weight ?? 1;
}
