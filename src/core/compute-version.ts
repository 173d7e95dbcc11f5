import { createHash } from 'node:crypto';

import type { ClusterLoadAssignment } from './build-cluster-load-assignment.js';

/**
 * The version of one cluster's assignment: a hash of its content, so the same endpoints give the
 * same `version_info` across restarts and a change elsewhere never changes it. 16 hex digits
 * (64 bits) make an accidental collision between two states of one cluster negligible.
 */
export function computeVersion(assignment: ClusterLoadAssignment): string {
  return createHash('sha256').update(JSON.stringify(assignment)).digest('hex').slice(0, 16);
}
