import type { Endpoint } from './endpoint.js';

/**
 * Which endpoints each member (one container of one source, e.g. `docker:<id>`) contributes,
 * indexed by cluster so a change recomputes only the clusters it touches. No I/O.
 */
export class Registry {
  readonly #byMember = new Map<string, readonly Endpoint[]>();
  readonly #membersByCluster = new Map<string, Set<string>>();

  /** Replaces what `member` contributes (`[]` removes it); returns the clusters whose endpoints changed. */
  apply(member: string, endpoints: readonly Endpoint[]): Set<string> {
    const previous = this.#byMember.get(member) ?? [];
    const touched = new Set([...previous, ...endpoints].map((endpoint) => endpoint.cluster));
    for (const endpoint of previous) this.#membersByCluster.get(endpoint.cluster)?.delete(member);
    if (endpoints.length === 0) this.#byMember.delete(member);
    else this.#byMember.set(member, endpoints);
    for (const endpoint of endpoints) {
      const members = this.#membersByCluster.get(endpoint.cluster) ?? new Set<string>();
      members.add(member);
      this.#membersByCluster.set(endpoint.cluster, members);
    }
    for (const cluster of touched) {
      if (this.#membersByCluster.get(cluster)?.size === 0) this.#membersByCluster.delete(cluster);
    }
    return touched;
  }

  /** Every endpoint of `cluster`, from every member; order is not meaningful. */
  endpointsOf(cluster: string): Endpoint[] {
    const members = this.#membersByCluster.get(cluster) ?? new Set<string>();
    return [...members].flatMap((member) =>
      (this.#byMember.get(member) ?? []).filter((endpoint) => endpoint.cluster === cluster),
    );
  }
}
