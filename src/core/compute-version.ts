import { createHash } from 'node:crypto';

/**
 * The version of one resource (a cluster's assignment, a Cluster, a route configuration...): a
 * hash of its JSON, so the same content gives the same `version_info` across restarts and a
 * change elsewhere never changes it. 16 hex digits (64 bits) make an accidental collision
 * between two states of one resource negligible. Our builders emit keys in a fixed order, so
 * equal content serializes equally.
 */
export function computeVersion(json: unknown): string {
  return createHash('sha256').update(JSON.stringify(json)).digest('hex').slice(0, 16);
}
