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

/**
 * The version of a set of resources (a state-of-the-world response, a REST poll for several
 * clusters): a hash of each one's name and version, in the order given, so the same resources
 * in the same order give the same version. Names cannot hold a NUL, so no two sets collide by
 * how their names and versions split.
 */
export function combineVersions(
  resources: Iterable<{ readonly name: string; readonly version: string }>,
): string {
  const hash = createHash('sha256');
  for (const { name, version } of resources) hash.update(`${name}\0${version}\n`);
  return hash.digest('hex').slice(0, 16);
}
