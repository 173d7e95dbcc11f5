import type { Endpoint } from './endpoint.js';
import type { ServiceLabelKey } from './labels.js';
import type { OptionConflict, ServiceOptions } from './service-options.js';

/** The label that sets each option. */
const OPTION_LABELS: Readonly<Record<keyof ServiceOptions, ServiceLabelKey>> = {
  lbPolicy: 'lb_policy',
  connectTimeout: 'connect_timeout',
  domains: 'domains',
  pathPrefix: 'path_prefix',
};

/**
 * The options of a service, from what its endpoints' labels say. When they disagree, the value
 * set by the most endpoints wins, and between equally many the first in sort order; each
 * container whose value lost is named in `conflicts`, once per option. Pure and deterministic:
 * the endpoints' order does not matter.
 */
export function resolveServiceOptions(endpoints: readonly Endpoint[]): {
  options: ServiceOptions;
  conflicts: OptionConflict[];
} {
  const conflicts: OptionConflict[] = [];
  const resolve = <K extends keyof ServiceOptions>(key: K): ServiceOptions[K] => {
    const byText = new Map<string, { value: ServiceOptions[K]; containers: Endpoint[] }>();
    for (const endpoint of endpoints) {
      const value = endpoint.serviceOptions?.[key];
      if (value === undefined) continue;
      const text = Array.isArray(value) ? value.join(',') : String(value);
      const entry = byText.get(text) ?? { value, containers: [] };
      entry.containers.push(endpoint);
      byText.set(text, entry);
    }
    const ranked = [...byText].sort(
      ([a, x], [b, y]) => y.containers.length - x.containers.length || (a < b ? -1 : 1),
    );
    const [winner, ...losers] = ranked;
    if (winner === undefined) return undefined;
    const tally = ranked.map(([text, { containers }]) => `"${text}" on ${containers.length}`);
    for (const [text, { containers }] of losers) {
      for (const endpoint of [...containers].sort((a, b) => (a.hostname < b.hostname ? -1 : 1))) {
        conflicts.push({
          container: endpoint.hostname,
          containerId: endpoint.containerId,
          message: `${OPTION_LABELS[key]} "${text}" is not used: the containers of this service disagree (${tally.join(', ')}); using "${winner[0]}"`,
        });
      }
    }
    return winner[1].value;
  };
  return {
    options: {
      lbPolicy: resolve('lbPolicy'),
      connectTimeout: resolve('connectTimeout'),
      domains: resolve('domains'),
      pathPrefix: resolve('pathPrefix'),
    },
    conflicts,
  };
}

/** True when both set every option alike. */
export function sameServiceOptions(a: ServiceOptions, b: ServiceOptions): boolean {
  return (
    a.lbPolicy === b.lbPolicy &&
    a.connectTimeout === b.connectTimeout &&
    a.pathPrefix === b.pathPrefix &&
    (a.domains ?? []).join(',') === (b.domains ?? []).join(',') &&
    (a.domains === undefined) === (b.domains === undefined)
  );
}
