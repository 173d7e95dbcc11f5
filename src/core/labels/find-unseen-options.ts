import {
  CLUSTER_TYPE_URL,
  LISTENER_TYPE_URL,
  ROUTE_CONFIGURATION_TYPE_URL,
  toShortTypeName,
} from '../type-urls.js';
import { LABELS, type LabelSpec, type OptionKey } from './labels.js';
import type { ServiceOptions } from './service-options.js';

/** The short name of the xDS type that carries each kind of service option to Envoy. */
const TYPE_OF_OPTION = {
  cluster: toShortTypeName(CLUSTER_TYPE_URL),
  route: toShortTypeName(ROUTE_CONFIGURATION_TYPE_URL),
  listener: toShortTypeName(LISTENER_TYPE_URL),
} as const;

/**
 * Where an edge label would reach Envoy without `--listen`: the agent's own listeners, which it
 * does not serve then, whatever a client subscribes to.
 */
export const NO_AGENT_LISTENER = 'Listener of the front door (--listen)';

/** Options of one service that travel in a type no client takes from the agent. */
export interface UnseenOptions {
  readonly service: string;
  /** The xDS type (short name: `Cluster`, `RouteConfiguration`, `Listener`). */
  readonly type: string;
  /** The option labels set, by key (`timeout`, `health_check.path`), sorted. */
  readonly keys: readonly string[];
}

/**
 * The options set on each service that no client can see: those carried by an xDS type
 * (`Cluster`, `RouteConfiguration`, `Listener`) that is not among `subscribedTypes`, the
 * short type names some client subscribes to. A route label, say, does nothing for an Envoy
 * whose routes are static. Without `agentListeners` (no `--listen`), an edge label
 * (`LabelSpec.filter`) needs the filters of the agent's listeners, and counts as carried by {@link NO_AGENT_LISTENER}, which no client can take.
 * Sorted by service, then type. Pure.
 */
export function findUnseenOptions(
  services: Iterable<readonly [string, ServiceOptions]>,
  subscribedTypes: ReadonlySet<string>,
  agentListeners = true,
): UnseenOptions[] {
  const unseen: UnseenOptions[] = [];
  for (const [service, options] of services) {
    const byType = new Map<string, string[]>();
    for (const key of Object.keys(options) as OptionKey[]) {
      if (options[key] === undefined) continue;
      const spec = LABELS[key] as LabelSpec<unknown> & { option: keyof typeof TYPE_OF_OPTION };
      // An edge label needs the filter chain of the agent's listeners (or a copy of it).
      const type = spec.filter && !agentListeners ? NO_AGENT_LISTENER : TYPE_OF_OPTION[spec.option];
      if (subscribedTypes.has(type)) continue;
      byType.set(type, [...(byType.get(type) ?? []), key]);
    }
    for (const [type, keys] of byType) unseen.push({ service, type, keys: keys.sort() });
  }
  return unseen.sort((a, b) => a.service.localeCompare(b.service) || a.type.localeCompare(b.type));
}
