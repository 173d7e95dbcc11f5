import type { LbPolicy } from '../../core/labels/option-values.js';

/**
 * The proxyless gRPC clients whose limits are known, by the `node.user_agent_name` their xDS
 * client sends, and the load-balancing policies of a Cluster each accepts (read in their
 * sources; a cluster with any other policy is NACKed and its calls fail with UNAVAILABLE).
 * Envoy, and gRPC clients not listed, are not checked.
 */
const ACCEPTED_BY: ReadonlyMap<string, { client: string; accepts: readonly LbPolicy[] }> = new Map([
  // @grpc/grpc-js-xds 1.14 (xds-resource-type/cluster-resource-type.js).
  ['gRPC Node Pure JS', { client: 'grpc-js', accepts: ['ROUND_ROBIN', 'RING_HASH'] }],
  // grpc-go 1.85 (internal/xds/xdsclient/xdsresource/unmarshal_cds.go).
  ['gRPC Go', { client: 'grpc-go', accepts: ['ROUND_ROBIN', 'RING_HASH', 'LEAST_REQUEST'] }],
]);

/** Whether the policies the client naming itself `userAgent` accepts are known (checked at all). */
export function knowsLbPoliciesOf(userAgent: string | undefined): boolean {
  return userAgent !== undefined && ACCEPTED_BY.has(userAgent);
}

/** Why a client that names itself `userAgent` will refuse a cluster with `policy`; undefined when it will not (or is not known). Pure. */
export function findRefusedLbPolicy(
  userAgent: string | undefined,
  policy: LbPolicy,
): string | undefined {
  const known = userAgent === undefined ? undefined : ACCEPTED_BY.get(userAgent);
  if (known === undefined || known.accepts.includes(policy)) return undefined;
  const accepted = known.accepts.map((name) => name.toLowerCase()).join(', ');
  return `${known.client} refuses lb_policy ${policy.toLowerCase()} (it takes ${accepted}): it will NACK the cluster and its calls to the service will fail`;
}
