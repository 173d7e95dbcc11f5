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
  /** The names of every resource of `typeUrl` there is now (a wildcard subscription's set). */
  names(typeUrl: string): string[];
  /**
   * The resource `name` of `typeUrl` and its content version; `undefined` when there is no
   * such resource and none is sent (an EDS name always has one: an empty assignment).
   */
  resource(typeUrl: string, name: string): { version: string; any: AnyMessage } | undefined;
}

/** A NACK: the client refused the response of version `version`. */
export interface Nack {
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

/**
 * One state-of-the-world xDS stream (ADS, or one type's own service), level-triggered: it keeps
 * per type what the client subscribed to and what it was last sent, and answers requests and
 * snapshot changes with `send`. Follows the xDS protocol:
 * - a request whose `response_nonce` is not the type's last nonce is stale and ignored;
 * - one that carries it acknowledges (ACK) or, with `error_detail`, refuses (NACK) that
 *   response; a NACK is reported once, and the same version is not sent again;
 * - the first request of a type with no names (or `*`) subscribes to every resource;
 * - a response is sent when the subscription changes, when a subscribed resource changes,
 *   and, for endpoints, again on the first request after clusters were sent (Envoy re-subscribes
 *   while a cluster warms, and waits for the assignment even if unchanged);
 * - endpoints are sent for each subscribed name (an empty assignment for an unknown one);
 *   on a change, only the changed ones; clusters always as the whole set;
 * - nothing is sent until `resources.ready()`;
 * - while the client does not read (`send` returned false), nothing is built: the types that
 *   changed meanwhile are sent in their latest state at `onDrain`, so memory stays bounded.
 */
export class SotwStream {
  readonly #subscriptions = new Map<string, Subscription>();
  #nonce = 0;
  #nodeId = '';
  /** Endpoint types owed a response at their next request, because clusters were sent since. */
  readonly #resubscribing = new Set<string>();
  #blocked = false;
  /** Types that changed while blocked: sent whole at the next drain. */
  readonly #pending = new Set<string>();

  constructor(
    private readonly resources: XdsResources,
    /** Type URLs this stream serves (ADS: all; a type's own service: that one). */
    private readonly served: ReadonlySet<string>,
    /** Types whose responses hold every resource (clusters); the others may hold a subset. */
    private readonly wholeSetTypes: ReadonlySet<string>,
    /** Writes a response; false when the client's buffer is full (then wait for `onDrain`). */
    private readonly send: (response: SotwResponse) => boolean,
    private readonly onNack: (nack: Nack) => void,
  ) {}

  /** Handles one request from the client. */
  onRequest(request: DiscoveryRequestFields, defaultTypeUrl?: string): void {
    if (request.node?.id) this.#nodeId = request.node.id;
    const typeUrl = request.type_url || defaultTypeUrl || '';
    if (!this.served.has(typeUrl)) return;
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
    if (request.error_detail && nonce !== '') {
      if (subscription.nacked !== subscription.version) {
        subscription.nacked = subscription.version;
        this.onNack({
          nodeId: this.#nodeId,
          typeUrl,
          version: subscription.version ?? '',
          message: request.error_detail.message ?? '',
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
    const owed = this.#resubscribing.delete(typeUrl);
    if (changed || owed || subscription.version === undefined)
      this.#respond(typeUrl, undefined, changed || owed);
  }

  /** Pushes what changed in the snapshot (`changed`: resource names whose version changed). */
  onChange(changed: readonly string[]): void {
    for (const [typeUrl, subscription] of this.#subscriptions) {
      if (subscription.version === undefined || this.wholeSetTypes.has(typeUrl)) {
        this.#respond(typeUrl, undefined);
        continue;
      }
      const touched = changed.filter(
        (name) => subscription.wildcard || subscription.names.has(name),
      );
      if (touched.length > 0) this.#respond(typeUrl, touched);
    }
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
    const subscription = this.#subscriptions.get(typeUrl);
    if (!subscription || !this.resources.ready()) return;
    if (this.#blocked) {
      this.#pending.add(typeUrl);
      return;
    }
    const subscribed = subscription.wildcard
      ? this.resources.names(typeUrl)
      : [...subscription.names].sort();
    const all = subscribed.flatMap((name) => {
      const resource = this.resources.resource(typeUrl, name);
      return resource ? [{ name, ...resource }] : [];
    });
    const version = hashVersions(all);
    // Nothing new: the client holds this version already (sent, or refused and not resent).
    if (only === undefined && version === subscription.version && !force) return;
    if (version === subscription.nacked) return;
    const included = only === undefined ? all : all.filter((item) => only.includes(item.name));
    this.#nonce += 1;
    subscription.nonce = String(this.#nonce);
    subscription.version = version;
    if (this.wholeSetTypes.has(typeUrl)) {
      for (const other of this.#subscriptions.keys())
        if (!this.wholeSetTypes.has(other)) this.#resubscribing.add(other);
    }
    const written = this.send({
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
