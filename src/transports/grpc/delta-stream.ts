import type { AnyMessage } from './encode-proto3-json.js';
import type { ClientReply, XdsResources } from './sotw-stream.js';

/** The fields of a `DeltaDiscoveryRequest` the server reads. */
export interface DeltaRequestFields {
  readonly node?: { readonly id?: string } | null;
  readonly type_url?: string;
  readonly resource_names_subscribe?: readonly string[];
  readonly resource_names_unsubscribe?: readonly string[];
  readonly initial_resource_versions?: Readonly<Record<string, string>>;
  readonly response_nonce?: string;
  readonly error_detail?: { readonly code?: number; readonly message?: string } | null;
}

/** A `DeltaDiscoveryResponse`, resources already packed. */
export interface DeltaResponse {
  readonly system_version_info: string;
  readonly resources: readonly { name: string; version: string; resource: AnyMessage }[];
  readonly type_url: string;
  readonly removed_resources: readonly string[];
  readonly nonce: string;
}

interface DeltaSubscription {
  wildcard: boolean;
  names: Set<string>;
  /** What the client holds: resource name → version (from `initial_resource_versions`, then what it was sent). */
  readonly known: Map<string, string>;
  nonce: string | undefined;
  nackedNonce: string | undefined;
}

/**
 * One incremental (delta) xDS stream: per type, what the client subscribed to and which
 * version of each resource it holds, so only what differs is sent, and what is gone is
 * named in `removed_resources`. Follows the protocol:
 * - `resource_names_subscribe`/`_unsubscribe` change the subscription whatever the nonce;
 *   a first request with no names (or `*`) subscribes to every resource of the type;
 * - `initial_resource_versions` (a reconnecting client) is what the client holds already:
 *   an unchanged resource is not sent again, one that is gone is removed;
 * - a request carrying the latest nonce is an ACK, or with `error_detail` a NACK (reported once);
 * - the first request of a type is always answered (an empty response lets a client with
 *   nothing to receive finish its initialisation); later ones only when there is news;
 * - a subscribed endpoint name with no endpoints is sent as an empty assignment;
 * - nothing is sent until `resources.ready()`;
 * - a snapshot change is diffed over the names it changed only, so a change costs each stream
 *   what it touches, not what the stream holds;
 * - while the client does not read (`send` returned false), nothing is built; what changed
 *   meanwhile is diffed and sent at `onDrain`, so memory stays bounded.
 */
export class DeltaStream {
  readonly #subscriptions = new Map<string, DeltaSubscription>();
  #nonce = 0;
  #nodeId = '';
  #blocked = false;

  constructor(
    private readonly resources: XdsResources,
    private readonly served: ReadonlySet<string>,
    /** Writes a response; false when the client's buffer is full (then wait for `onDrain`). */
    private readonly send: (response: DeltaResponse) => boolean,
    /** Every ACK, and each NACK once; delta has no response version, so `version` is the nonce. */
    private readonly onReply: (reply: ClientReply) => void,
  ) {}

  onRequest(request: DeltaRequestFields, defaultTypeUrl?: string): void {
    if (request.node?.id) this.#nodeId = request.node.id;
    const typeUrl = request.type_url || defaultTypeUrl || '';
    if (!this.served.has(typeUrl)) return;
    const subscribe = request.resource_names_subscribe ?? [];
    const unsubscribe = request.resource_names_unsubscribe ?? [];
    let subscription = this.#subscriptions.get(typeUrl);
    if (!subscription) {
      subscription = {
        wildcard: subscribe.length === 0,
        names: new Set(),
        known: new Map(Object.entries(request.initial_resource_versions ?? {})),
        nonce: undefined,
        nackedNonce: undefined,
      };
      this.#subscriptions.set(typeUrl, subscription);
    }
    const nonce = request.response_nonce ?? '';
    if (nonce !== '' && nonce === subscription.nonce) {
      const nack = request.error_detail;
      if (!nack || subscription.nackedNonce !== nonce) {
        if (nack) subscription.nackedNonce = nonce;
        this.onReply({
          kind: nack ? 'nack' : 'ack',
          nodeId: this.#nodeId,
          typeUrl,
          version: nonce,
          message: nack?.message ?? '',
        });
      }
    }
    for (const name of subscribe) {
      if (name === '*') subscription.wildcard = true;
      else subscription.names.add(name);
    }
    for (const name of unsubscribe) {
      if (name === '*') subscription.wildcard = false;
      subscription.names.delete(name);
      subscription.known.delete(name);
    }
    this.#push(typeUrl);
  }

  /**
   * Pushes what changed in the snapshot, type by type in the order given, to the subscriptions
   * of a changed name. Types never answered (subscribed before the snapshot was ready) are
   * answered first, in full.
   */
  onChange(changes: readonly (readonly [typeUrl: string, names: readonly string[]])[]): void {
    for (const [typeUrl, subscription] of this.#subscriptions) {
      if (subscription.nonce === undefined) this.#push(typeUrl);
    }
    for (const [typeUrl, names] of changes) {
      const subscription = this.#subscriptions.get(typeUrl);
      if (!subscription || subscription.nonce === undefined) continue;
      const touched = names.filter(
        (name) =>
          subscription.wildcard || subscription.names.has(name) || subscription.known.has(name),
      );
      if (touched.length > 0) this.#push(typeUrl, touched);
    }
  }

  /** Per type, the names subscribed to (`*` for a wildcard subscription, beside any named). */
  subscriptions(): Map<string, string[]> {
    return new Map(
      [...this.#subscriptions].map(([typeUrl, s]) => [
        typeUrl,
        [...(s.wildcard ? ['*'] : []), ...s.names],
      ]),
    );
  }

  /** The client reads again: sends what differs now. */
  onDrain(): void {
    this.#blocked = false;
    for (const typeUrl of this.#subscriptions.keys()) this.#push(typeUrl);
  }

  /**
   * Sends what differs between what the client holds and what it should hold: over every
   * name it wants or holds, or over `only` those.
   */
  #push(typeUrl: string, only?: readonly string[]): void {
    const subscription = this.#subscriptions.get(typeUrl);
    if (!subscription || !this.resources.ready() || this.#blocked) return;
    const wants = (name: string) =>
      subscription.names.has(name) || (subscription.wildcard && this.resources.has(typeUrl, name));
    let candidates: string[];
    if (only) {
      candidates = [...only];
    } else {
      const all = new Set([...subscription.names, ...subscription.known.keys()]);
      if (subscription.wildcard) for (const name of this.resources.names(typeUrl)) all.add(name);
      candidates = [...all];
    }
    const resources: DeltaResponse['resources'][number][] = [];
    const removed: string[] = [];
    for (const name of candidates.sort()) {
      const resource = wants(name) ? this.resources.resource(typeUrl, name) : undefined;
      if (!resource) {
        if (subscription.known.has(name)) removed.push(name);
        continue;
      }
      if (subscription.known.get(name) !== resource.version)
        resources.push({ name, version: resource.version, resource: resource.any });
    }
    const answered = subscription.nonce !== undefined;
    if (resources.length === 0 && removed.length === 0 && answered) return;
    for (const { name, version } of resources) subscription.known.set(name, version);
    for (const name of removed) subscription.known.delete(name);
    this.#nonce += 1;
    subscription.nonce = String(this.#nonce);
    const written = this.send({
      system_version_info: '',
      resources,
      type_url: typeUrl,
      removed_resources: removed,
      nonce: subscription.nonce,
    });
    if (!written) this.#blocked = true;
  }
}
