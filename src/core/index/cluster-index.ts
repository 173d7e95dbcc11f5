import { hash } from 'node:crypto';

import type { Endpoint } from '../endpoint.js';
import { toLbEndpointJson } from './build-cluster-load-assignment.js';
import {
  addressKey,
  compareTuples,
  groupId,
  type GroupKey,
  groupKeyOf,
  upperBound,
} from './endpoint-order.js';
import {
  type LocalityGroup,
  toLocalityGroup,
  toLocalityWeight,
  weightOf,
} from './locality-group.js';
import { OptionTally, type ResolvedOptions } from './resolve-service-options.js';
import { editSortedChunks } from './sorted-chunks.js';

/** What a cluster serves now, as `ClusterIndex.apply` gives it. Immutable. */
export interface ServedEndpoints {
  /** A hash of what is served, the same whatever order the endpoints came in. */
  readonly version: string;
  /** As the reference `groupServedEndpoints` (test/support) would group every endpoint given so far. */
  readonly localities: readonly LocalityGroup[];
  readonly resolved: ResolvedOptions;
  /** Registered endpoints not served because a Docker container has their address. */
  readonly shadowed: readonly Endpoint[];
  /** Endpoints given and not taken back, served or shadowed. */
  readonly size: number;
}

const DIGEST_BITS = 128n;
const DIGEST_MASK = (1n << DIGEST_BITS) - 1n;
const digests = new WeakMap<Endpoint, bigint>();

/**
 * One cluster's endpoints, kept so that a change costs what it changes: adding or taking back k
 * endpoints of a cluster of n costs O(k log n) comparisons and a copy of the chunks they are
 * in (`SortedChunks`), where grouping from scratch costs O(n log n) and stringifying the whole
 * assignment.
 * Gives the same groups as the from-scratch reference (`groupServedEndpoints`, test/support), and a version that depends only on what
 * is served: a hash of the cluster's name and the sum, modulo 2^128, of each served
 * endpoint's own digest (of its `LbEndpoint` and group), updated by what changed.
 *
 * Mutable, and owned by the snapshot store: what `apply` returns never changes afterwards
 * (groups and chunks are copied, not edited), so snapshots that hold it stay valid.
 */
export class ClusterIndex {
  readonly #name: string;
  /** Every endpoint given, by address, in sort order: the first is the one served. */
  readonly #byAddress = new Map<string, Endpoint[]>();
  /** The groups served, by `groupId`. */
  readonly #groups = new Map<string, LocalityGroup>();
  #localities: readonly LocalityGroup[] = [];
  #sum = 0n;
  #size = 0;
  readonly #tally = new OptionTally();
  /** Per address that both sources give: the registrations the container there shadows. */
  readonly #shadowed = new Map<string, readonly Endpoint[]>();
  #shadowedList: readonly Endpoint[] = [];

  constructor(name: string) {
    this.#name = name;
  }

  /**
   * Takes back `removed` (endpoints given before; others are ignored), adds `added`, and
   * returns what the cluster serves then.
   */
  apply(added: readonly Endpoint[], removed: readonly Endpoint[]): ServedEndpoints {
    const winnersBefore = new Map<string, Endpoint | undefined>();
    const touch = (address: string) => {
      if (!winnersBefore.has(address))
        winnersBefore.set(address, this.#byAddress.get(address)?.[0]);
    };
    for (const endpoint of removed) {
      const address = addressKey(endpoint);
      const candidates = this.#byAddress.get(address);
      const at = candidates?.indexOf(endpoint) ?? -1;
      if (!candidates || at < 0) continue;
      touch(address);
      candidates.splice(at, 1);
      if (candidates.length === 0) this.#byAddress.delete(address);
      this.#tally.remove(endpoint);
      this.#size -= 1;
    }
    for (const endpoint of added) {
      const address = addressKey(endpoint);
      touch(address);
      const candidates = this.#byAddress.get(address) ?? [];
      candidates.splice(upperBound(candidates, endpoint), 0, endpoint);
      this.#byAddress.set(address, candidates);
      this.#tally.add(endpoint);
      this.#size += 1;
    }

    const edits = new Map<string, { key: GroupKey; removed: Set<Endpoint>; added: Endpoint[] }>();
    const edit = (endpoint: Endpoint) => {
      const key = groupKeyOf(endpoint);
      const id = groupId(key);
      const found = edits.get(id) ?? { key, removed: new Set<Endpoint>(), added: [] };
      edits.set(id, found);
      return found;
    };
    let shadowingChanged = false;
    for (const [address, before] of winnersBefore) {
      const candidates = this.#byAddress.get(address);
      shadowingChanged = this.#updateShadowed(address, candidates) || shadowingChanged;
      const after = candidates?.[0];
      if (before === after) continue;
      if (before) {
        this.#sum = (this.#sum - digestOf(before)) & DIGEST_MASK;
        edit(before).removed.add(before);
      }
      if (after) {
        this.#sum = (this.#sum + digestOf(after)) & DIGEST_MASK;
        edit(after).added.push(after);
      }
    }
    if (edits.size > 0) this.#applyEdits(edits);
    if (shadowingChanged) this.#shadowedList = [...this.#shadowed.values()].flat();
    return {
      version: toClusterVersion(this.#name, this.#sum),
      localities: this.#localities,
      resolved: this.#tally.resolve(),
      shadowed: this.#shadowedList,
      size: this.#size,
    };
  }

  /** Replaces each edited group by a new one; then caps weights and orders the groups. */
  #applyEdits(
    edits: ReadonlyMap<string, { key: GroupKey; removed: Set<Endpoint>; added: Endpoint[] }>,
  ): void {
    for (const [id, { key, removed, added }] of edits) {
      const group = this.#groups.get(id);
      const chunks = editSortedChunks(group?.chunks ?? [], removed, added);
      if (chunks.length === 0) {
        this.#groups.delete(id);
        continue;
      }
      let weightSum = group?.weightSum ?? 0;
      for (const endpoint of removed) weightSum -= weightOf(endpoint);
      for (const endpoint of added) weightSum += weightOf(endpoint);
      // The weight is set below, once the groups of its priority are known.
      this.#groups.set(id, toLocalityGroup(key, chunks, weightSum, Number.NaN));
    }
    const localitiesAt = new Map<number, number>();
    for (const group of this.#groups.values())
      localitiesAt.set(group.priority, (localitiesAt.get(group.priority) ?? 0) + 1);
    for (const [id, group] of this.#groups) {
      const weight = toLocalityWeight(group.weightSum, localitiesAt.get(group.priority) ?? 1);
      if (weight !== group.weight)
        this.#groups.set(id, toLocalityGroup(group.key, group.chunks, group.weightSum, weight));
    }
    this.#localities = [...this.#groups.values()].sort((a, b) => compareTuples(a.key, b.key));
  }

  /** Records which registrations the container at `address` shadows; true when that changed. */
  #updateShadowed(address: string, candidates: readonly Endpoint[] | undefined): boolean {
    const shadowed =
      candidates?.some((endpoint) => endpoint.source === 'docker') === true
        ? candidates.filter((endpoint) => endpoint.source === 'api')
        : [];
    const before = this.#shadowed.get(address) ?? [];
    if (shadowed.length === 0) this.#shadowed.delete(address);
    else this.#shadowed.set(address, shadowed);
    return before.length !== shadowed.length || before.some((e, i) => e !== shadowed[i]);
  }
}

/** The version of every cluster that serves nothing: its content, the same for all. */
export const EMPTY_CLUSTER_VERSION = '0000000000000000';

/** A cluster's version from the sum of its served endpoints' digests (`0n`: none served). */
export function toClusterVersion(name: string, digestSum: bigint): string {
  if (digestSum === 0n) return EMPTY_CLUSTER_VERSION;
  return hash('sha256', `${name}\0${digestSum.toString(16)}`).slice(0, 16);
}

/** An endpoint's own digest: of its `LbEndpoint` and its group, 128 bits. Cached. */
function digestOf(endpoint: Endpoint): bigint {
  let digest = digests.get(endpoint);
  if (digest === undefined) {
    const text = `${groupId(groupKeyOf(endpoint))}\0${toLbEndpointJson(endpoint)}`;
    digest = BigInt(`0x${hash('sha256', text).slice(0, Number(DIGEST_BITS / 4n))}`);
    digests.set(endpoint, digest);
  }
  return digest;
}
