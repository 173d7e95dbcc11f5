import { compareText } from '../compare-text.js';
import type { ServiceOptions } from '../labels/service-options.js';

/**
 * A service as TLS passthrough sees it (a `ClusterResource` is one): its name, its `tcp_sni`
 * names and the age of its claim.
 */
export interface PassthroughClaimant {
  readonly name: string;
  readonly options: ServiceOptions;
  /** When its oldest container was created (ms since the epoch); undefined: claims last. */
  readonly since: number | undefined;
}

/**
 * The TLS server names passed through to a service (`eds.tcp_sni`), by name: a name two
 * services ask for goes to the one whose oldest container is older (between equally old, the
 * first in sort order), so a container started later cannot take another's connections; a
 * name in `terminated` (served over HTTPS by `eds.tls`) is left to that. Sorted by name. Pure.
 */
export function toPassthroughNames(
  claimants: Iterable<PassthroughClaimant>,
  terminated: ReadonlySet<string>,
): Map<string, string> {
  const held = new Map<string, { service: string; age: number }>();
  for (const { name: service, options, since } of claimants) {
    const age = since ?? Number.POSITIVE_INFINITY;
    for (const name of options.tcp_sni ?? []) {
      if (terminated.has(name)) continue;
      const other = held.get(name);
      const wins =
        other === undefined ||
        age < other.age ||
        (age === other.age && compareText(service, other.service) < 0);
      if (wins) held.set(name, { service, age });
    }
  }
  return new Map(
    [...held]
      .sort(([a], [b]) => compareText(a, b))
      .map(([name, { service }]) => [name, service] as const),
  );
}
