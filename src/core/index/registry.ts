import type { Endpoint } from '../endpoint.js';

/** What changes of members did to one cluster: the endpoints it gained, and those it lost. */
export interface ClusterDelta {
  readonly added: Set<Endpoint>;
  readonly removed: Set<Endpoint>;
}

/**
 * Which endpoints each member (one container of one source, e.g. `docker:<id>`, or one
 * registered host) contributes, indexed by cluster, so that a change says which endpoints of
 * which clusters it adds and takes back. No I/O.
 */
export class Registry {
  readonly #byMember = new Map<string, readonly Endpoint[]>();
  readonly #membersByCluster = new Map<string, Set<string>>();

  /**
   * Replaces what `member` contributes (`[]` removes it), adding to `deltas` (per cluster) the
   * endpoints that came and went. An endpoint object the member keeps is neither; one taken
   * back and given again within the same `deltas` cancels out.
   */
  apply(member: string, endpoints: readonly Endpoint[], deltas: Map<string, ClusterDelta>): void {
    const previous = this.#byMember.get(member) ?? [];
    const delta = (cluster: string) => {
      let found = deltas.get(cluster);
      if (!found) {
        found = { added: new Set(), removed: new Set() };
        deltas.set(cluster, found);
      }
      return found;
    };
    for (const endpoint of previous) {
      if (endpoints.includes(endpoint)) continue;
      const { added, removed } = delta(endpoint.cluster);
      if (!added.delete(endpoint)) removed.add(endpoint);
      this.#membersByCluster.get(endpoint.cluster)?.delete(member);
    }
    for (const endpoint of endpoints) {
      if (previous.includes(endpoint)) continue;
      const { added, removed } = delta(endpoint.cluster);
      if (!removed.delete(endpoint)) added.add(endpoint);
    }
    if (endpoints.length === 0) this.#byMember.delete(member);
    else this.#byMember.set(member, endpoints);
    for (const endpoint of endpoints) {
      const members = this.#membersByCluster.get(endpoint.cluster) ?? new Set<string>();
      members.add(member);
      this.#membersByCluster.set(endpoint.cluster, members);
    }
    for (const endpoint of previous) {
      if (this.#membersByCluster.get(endpoint.cluster)?.size === 0)
        this.#membersByCluster.delete(endpoint.cluster);
    }
  }

  /** Every endpoint of `cluster`, from every member; order is not meaningful. */
  endpointsOf(cluster: string): Endpoint[] {
    const members = this.#membersByCluster.get(cluster) ?? new Set<string>();
    return [...members].flatMap((member) =>
      (this.#byMember.get(member) ?? []).filter((endpoint) => endpoint.cluster === cluster),
    );
  }
}
