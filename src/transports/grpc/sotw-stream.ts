import { createHash } from 'node:crypto';

import type { AnyMessage } from './encode-proto3-json.js';

/** The fields of a `DiscoveryRequest` the server reads. */
export interface DiscoveryRequestFields {
  readonly version_info?: string;
  readonly node?: { readonly id?: string } | null;
  readonly resource_names?: readonly string[];
  readonly type_url?: string;
  readonly response_nonce?: string;
  readonly error_detail?: { readonly code?: number; readonly message?: string } | null;
}

/** A `DiscoveryResponse`, resources already packed. */
export interface SotwResponse {
  readonly version_info: string;
  readonly resources: readonly AnyMessage[];
  readonly type_url: string;
  readonly nonce: string;
}

/** What a stream serves, read from the current snapshot at the moment of each response. */
export interface XdsResources {
  /** False until every source has been read once: nothing may be sent before (see `Snapshot.awaiting`). */
  ready(): boolean;
  /** The names of every resource of `typeUrl` there is now (a wildcard subscription's set), sorted. */
  names(typeUrl: string): readonly string[];
  /** Whether `name` is among `names(typeUrl)`. */
  has(typeUrl: string, name: string): boolean;
  /**
   * The resource `name` of `typeUrl` and its content version; `undefined` when there is no
   * such resource and none is sent (an EDS name always has one: an empty assignment).
   */
  resource(typeUrl: string, name: string): { version: string; any: AnyMessage } | undefined;
}

/**
 * What a client said of the last response of a type: it accepted (`ack`) or refused (`nack`,
 * with the client's `message`) the response of `version`.
 */
export interface ClientReply {
  readonly kind: 'ack' | 'nack';
  readonly nodeId: string;
  readonly typeUrl: string;
  readonly version: string;
  readonly message: string;
}

interface Subscription {
  wildcard: boolean;
  names: Set<string>;
  /** Of the last response sent: its nonce and version; undefined before the first. */
  nonce: string | undefined;
  version: string | undefined;
  /** The version whose NACK was logged, so a repeated NACK is logged once. */
  nacked: string | undefined;
}

/** What a state-of-the-world stream is told about the protocol of the types it serves. */
export interface SotwStreamOptions {
  readonly resources: XdsResources;
  /** Type URLs this stream serves (ADS: all; a type's own service: that one). */
  readonly served: ReadonlySet<string>;
  /** Types whose responses hold every subscribed resource (clusters, listeners); the others may hold a subset. */
  readonly wholeSetTypes: ReadonlySet<string>;
  /**
   * After a response of the key type, the value type is owed a response at its next request,
   * changed or not: after new clusters, Envoy asks again for their endpoints and waits for them.
   */
  readonly owedAfter: ReadonlyMap<string, string>;
  /** Writes a response; false when the client's buffer is full (then wait for `onDrain`). */
  readonly send: (response: SotwResponse) => boolean;
  /** Every ACK, and each NACK once per refused version. */
  readonly onReply: (reply: ClientReply) => void;
}

/**
 * One state-of-the-world xDS stream (ADS, or one type's own service), level-triggered: it keeps
 * per type what the client subscribed to and what it was last sent, and answers requests and
 * snapshot changes with `send`. Follows the xDS protocol:
 * - a request whose `response_nonce` is not the type's last nonce is stale and ignored;
 * - one that carries it acknowledges (ACK) or, with `error_detail`, refuses (NACK) that
 *   response; each is reported (a NACK once), and a refused version is not sent again;
 * - the first request of a type with no names (or `*`) subscribes to every resource;
 * - a response is sent when the subscription changes, when a subscribed resource changes,
 *   and when owed (see `owedAfter`);
 * - a subset type (endpoints, routes) is sent for each subscribed name (an unknown endpoint
 *   name gets an empty assignment); on a change, only the changed ones; whole-set types
 *   (clusters, listeners) always as the whole set;
 * - nothing is sent until `resources.ready()`;
 * - while the client does not read (`send` returned false), nothing is built: the types that
 *   changed meanwhile are sent in their latest state at `onDrain`, so memory stays bounded.
 */
export class SotwStream {
  readonly #subscriptions = new Map<string, Subscription>();
  #nonce = 0;
  #nodeId = '';
  /** Types owed a response at their next request (see `SotwStreamOptions.owedAfter`). */
  readonly #owed = new Set<string>();
  #blocked = false;
  /** Types that changed while blocked: sent whole at the next drain. */
  readonly #pending = new Set<string>();

  constructor(private readonly options: SotwStreamOptions) {}

  /** Handles one request from the client. */
  onRequest(request: DiscoveryRequestFields, defaultTypeUrl?: string): void {
    if (request.node?.id) this.#nodeId = request.node.id;
    const typeUrl = request.type_url || defaultTypeUrl || '';
    if (!this.options.served.has(typeUrl)) return;
    const subscription = this.#subscriptions.get(typeUrl);
    const nonce = request.response_nonce ?? '';
    if (subscription && nonce !== '' && nonce !== subscription.nonce) return; // stale
    const names = new Set(request.resource_names ?? []);
    if (!subscription) {
      const wildcard = names.size === 0 || names.has('*');
      names.delete('*');
      this.#subscriptions.set(typeUrl, {
        wildcard,
        names,
        nonce: undefined,
        version: undefined,
        nacked: undefined,
      });
      this.#respond(typeUrl, undefined);
      return;
    }
    if (nonce !== '') {
      const nack = request.error_detail;
      if (!nack || subscription.nacked !== subscription.version) {
        if (nack) subscription.nacked = subscription.version;
        this.options.onReply({
          kind: nack ? 'nack' : 'ack',
          nodeId: this.#nodeId,
          typeUrl,
          version: subscription.version ?? '',
          message: nack?.message ?? '',
        });
      }
    }
    const wildcard = names.has('*') || (subscription.wildcard && names.size === 0);
    names.delete('*');
    const changed =
      wildcard !== subscription.wildcard ||
      names.size !== subscription.names.size ||
      [...names].some((name) => !subscription.names.has(name));
    subscription.wildcard = wildcard;
    subscription.names = names;
    const owed = this.#owed.delete(typeUrl);
    if (changed || owed || subscription.version === undefined)
      this.#respond(typeUrl, undefined, changed || owed);
  }

  /**
   * Pushes what changed in the snapshot, type by type in the order given: each type's
   * subscribers of a changed name get it (a whole-set type gets its whole set). Types that
   * were never answered (subscribed before the snapshot was ready) are answered first.
   */
  onChange(changes: readonly (readonly [typeUrl: string, names: readonly string[]])[]): void {
    for (const [typeUrl, subscription] of this.#subscriptions) {
      if (subscription.version === undefined) this.#respond(typeUrl, undefined);
    }
    for (const [typeUrl, names] of changes) {
      const subscription = this.#subscriptions.get(typeUrl);
      if (!subscription || names.length === 0) continue;
      const touched = subscription.wildcard
        ? names
        : names.filter((name) => subscription.names.has(name));
      if (touched.length === 0) continue;
      this.#respond(typeUrl, this.options.wholeSetTypes.has(typeUrl) ? undefined : touched);
    }
  }

  /** Per type, the names subscribed to (`*` for a wildcard subscription). */
  subscriptions(): Map<string, string[]> {
    return new Map(
      [...this.#subscriptions].map(([typeUrl, s]) => [typeUrl, s.wildcard ? ['*'] : [...s.names]]),
    );
  }

  /** The client reads again: sends, whole, what changed while it did not. */
  onDrain(): void {
    this.#blocked = false;
    const pending = [...this.#pending];
    this.#pending.clear();
    for (const typeUrl of pending) this.#respond(typeUrl, undefined);
  }

  /**
   * Sends the type's resources (`only` those, else every subscribed one) if there is news, or
   * when `force`d by a new subscription, unless the client refused this very version.
   */
  #respond(typeUrl: string, only: readonly string[] | undefined, force = false): void {
    const { resources } = this.options;
    const subscription = this.#subscriptions.get(typeUrl);
    if (!subscription || !resources.ready()) return;
    if (this.#blocked) {
      this.#pending.add(typeUrl);
      return;
    }
    const subscribed = subscription.wildcard
      ? resources.names(typeUrl)
      : [...subscription.names].sort();
    const all = subscribed.flatMap((name) => {
      const resource = resources.resource(typeUrl, name);
      return resource ? [{ name, ...resource }] : [];
    });
    const version = hashVersions(all);
    // Nothing new: the client holds this version already (sent, or refused and not resent).
    if (only === undefined && version === subscription.version && !force) return;
    if (version === subscription.nacked) return;
    const wanted = only && new Set(only);
    const included = wanted ? all.filter((item) => wanted.has(item.name)) : all;
    this.#nonce += 1;
    subscription.nonce = String(this.#nonce);
    subscription.version = version;
    const owes = this.options.owedAfter.get(typeUrl);
    if (owes !== undefined && this.#subscriptions.has(owes)) this.#owed.add(owes);
    const written = this.options.send({
      version_info: version,
      resources: included.map((item) => item.any),
      type_url: typeUrl,
      nonce: subscription.nonce,
    });
    if (!written) this.#blocked = true;
  }
}

/** A version for a set of resources: a hash of their names and versions. */
function hashVersions(items: readonly { name: string; version: string }[]): string {
  const hash = createHash('sha256');
  for (const { name, version } of items) hash.update(`${name}\0${version}\n`);
  return hash.digest('hex').slice(0, 16);
}
