import { Duration } from '../duration.js';
import type { Endpoint } from '../endpoint.js';
import { LABELS, type LabelSpec, OPTION_KEYS, type OptionKey } from '../labels/labels.js';
import type { OptionConflict, ServiceOptions } from '../labels/service-options.js';

/** A service's options, and the containers whose labels for them lost. */
export interface ResolvedOptions {
  readonly options: ServiceOptions;
  readonly conflicts: readonly OptionConflict[];
  /**
   * When its oldest container was created (ms since the epoch); undefined when none of its
   * endpoints has a known age (registered hosts). The age of its claims: see
   * `buildRouteConfiguration`.
   */
  readonly since: number | undefined;
}

/**
 * The options of a service, from what its endpoints' labels say. When they disagree, the value
 * set by the most endpoints wins, and between equally many the first in sort order; each
 * container whose value lost is named in `conflicts`, once per option. Pure and deterministic:
 * the endpoints' order does not matter.
 */
export function resolveServiceOptions(endpoints: readonly Endpoint[]): ResolvedOptions {
  const tally = new OptionTally();
  for (const endpoint of endpoints) tally.add(endpoint);
  return tally.resolve();
}

interface Votes {
  readonly value: unknown;
  readonly endpoints: Set<Endpoint>;
}

/**
 * The votes of a service's endpoints for each option, kept as endpoints come and go, so that
 * resolving costs the number of distinct values set, not the number of endpoints.
 */
export class OptionTally {
  readonly #votes = new Map<OptionKey, Map<string, Votes>>(
    OPTION_KEYS.map((key) => [key, new Map()]),
  );
  #resolved: ResolvedOptions | undefined;
  /** How many endpoints have each creation time; the oldest is cached until it goes. */
  readonly #since = new Map<number, number>();
  #oldest: number | undefined;

  /** Counts what `endpoint`'s labels set. */
  add(endpoint: Endpoint): void {
    if (endpoint.since !== undefined) {
      this.#since.set(endpoint.since, (this.#since.get(endpoint.since) ?? 0) + 1);
      if (this.#oldest === undefined || endpoint.since < this.#oldest) {
        this.#oldest = endpoint.since;
        this.#resolved = undefined;
      }
    }
    this.#each(endpoint, (byText, text, value) => {
      const votes = byText.get(text) ?? { value, endpoints: new Set<Endpoint>() };
      votes.endpoints.add(endpoint);
      byText.set(text, votes);
    });
  }

  /** Takes back what `add(endpoint)` counted. */
  remove(endpoint: Endpoint): void {
    const count = endpoint.since === undefined ? undefined : this.#since.get(endpoint.since);
    if (endpoint.since !== undefined && count !== undefined) {
      if (count > 1) this.#since.set(endpoint.since, count - 1);
      else {
        this.#since.delete(endpoint.since);
        if (endpoint.since === this.#oldest) {
          this.#oldest = oldestOf(this.#since.keys());
          this.#resolved = undefined;
        }
      }
    }
    this.#each(endpoint, (byText, text) => {
      const votes = byText.get(text);
      votes?.endpoints.delete(endpoint);
      if (votes?.endpoints.size === 0) byText.delete(text);
    });
  }

  /** The options now, and who lost (see `resolveServiceOptions`); unchanged between changes. */
  resolve(): ResolvedOptions {
    if (this.#resolved) return this.#resolved;
    const conflicts: OptionConflict[] = [];
    const options = Object.fromEntries(
      OPTION_KEYS.flatMap((key) => {
        const value = this.#winner(key, conflicts);
        return value === undefined ? [] : [[key, value]];
      }),
    ) as ServiceOptions;
    this.#resolved = { options, conflicts, since: this.#oldest };
    return this.#resolved;
  }

  #each(
    endpoint: Endpoint,
    visit: (byText: Map<string, Votes>, text: string, value: unknown) => void,
  ): void {
    const set = endpoint.serviceOptions;
    if (!set) return;
    for (const key of OPTION_KEYS) {
      const value = set[key];
      if (value === undefined) continue;
      const text = toOptionText(value) ?? '';
      visit(this.#votes.get(key) as Map<string, Votes>, text, value);
      this.#resolved = undefined;
    }
  }

  #winner(key: OptionKey, conflicts: OptionConflict[]): unknown {
    const ranked = [...(this.#votes.get(key) ?? [])].sort(
      ([a, x], [b, y]) => y.endpoints.size - x.endpoints.size || (a < b ? -1 : 1),
    );
    const [winner, ...losers] = ranked;
    if (winner === undefined) return undefined;
    // A secret's values (password hashes) are shown as their rank among the values set.
    const shown = (text: string, rank: number) =>
      (LABELS[key] as LabelSpec<unknown>).secret ? `(hidden value ${rank + 1})` : `"${text}"`;
    const tally = ranked.map(
      ([text, { endpoints }], rank) => `${shown(text, rank)} on ${endpoints.size}`,
    );
    for (const [rank, [text, { endpoints }]] of losers.entries()) {
      for (const endpoint of [...endpoints].sort(byContainer)) {
        conflicts.push({
          container: endpoint.hostname,
          containerId: endpoint.containerId,
          message: `${key} ${shown(text, rank + 1)} is not used: the containers of this service disagree (${tally.join(', ')}); using ${shown(winner[0], 0)}`,
        });
      }
    }
    return winner[1].value;
  }
}

/** By container name, then id, then address: a total order, so conflicts come out the same. */
function byContainer(a: Endpoint, b: Endpoint): number {
  const x = [a.hostname, a.containerId ?? '', a.address, a.port];
  const y = [b.hostname, b.containerId ?? '', b.address, b.port];
  for (let i = 0; i < x.length; i++) {
    const p = x[i] ?? '';
    const q = y[i] ?? '';
    if (p !== q) return p < q ? -1 : 1;
  }
  return 0;
}

/** True when both set every option alike. */
export function sameServiceOptions(a: ServiceOptions, b: ServiceOptions): boolean {
  return OPTION_KEYS.every((key) => toOptionText(a[key]) === toOptionText(b[key]));
}

/** An option's value as text, to compare and count it: a list joined with commas. */
function toOptionText(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return value.join(',');
  return typeof value === 'string' || value instanceof Duration
    ? String(value)
    : JSON.stringify(value);
}

/** The least of `times` (a loop: a spread of 100,000 keys would overflow the stack); none if empty. */
function oldestOf(times: Iterable<number>): number | undefined {
  let oldest: number | undefined;
  for (const time of times) if (oldest === undefined || time < oldest) oldest = time;
  return oldest;
}
