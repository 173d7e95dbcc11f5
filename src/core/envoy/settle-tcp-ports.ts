import { compareText } from '../compare-text.js';
import type { RouteClaimant, RouteConflict } from './build-route-configuration.js';

/**
 * Which services get the TCP listener their `tcp_port` asks for. Two listeners on one port
 * would make Envoy refuse the whole listener update (every service's), so a port goes to the
 * service that claimed it first, as a domain does (`buildRouteConfiguration`): the one whose
 * oldest container is older, then the first in sort order; each other claimant gets no
 * listener and a conflict. Pure and deterministic.
 */
export function settleTcpPorts(claimants: Iterable<RouteClaimant>): {
  readonly listening: ReadonlySet<string>;
  readonly conflicts: readonly RouteConflict[];
} {
  const holders = new Map<number, { service: string; age: number }>();
  const conflicts: RouteConflict[] = [];
  const sorted = [...claimants].sort((a, b) => compareText(a.service, b.service));
  for (const { service, options, since } of sorted) {
    const port = options.tcp_port;
    if (port === undefined) continue;
    const age = since ?? Number.POSITIVE_INFINITY;
    const held = holders.get(port);
    const wins = held === undefined || age < held.age;
    if (held !== undefined) {
      const [winner, loser] = wins ? [service, held.service] : [held.service, service];
      conflicts.push({
        service: loser,
        winner,
        domain: `tcp:${port}`,
        pathPrefix: '',
        message: `TCP port ${port} is claimed by services ${winner} and ${loser}; listening for ${winner} (${age === held.age ? 'first in sort order' : 'it claimed it first'})`,
      });
    }
    if (wins) holders.set(port, { service, age });
  }
  return { listening: new Set([...holders.values()].map(({ service }) => service)), conflicts };
}
