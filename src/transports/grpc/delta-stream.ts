import { clipText, MAX_NODE_ID_LENGTH } from '../../core/clip-text.js';
import { checkRequestNames, checkStreamNames } from './check-name-limits.js';
import { ResponseGate } from './response-gate.js';
import { Subscription } from './subscription.js';
import {
  BUILD_SLICE,
  type DeltaRequestFields,
  type DeltaResponse,
  type ResourceChanges,
  RUN_AT_ONCE,
  type XdsStream,
  type XdsStreamOptions,
} from './xds-protocol.js';

/**
 * One incremental (delta) xDS stream: per type (a `Subscription`), what the client subscribed
 * to and which version of each resource it holds, so only what differs is sent, and what is
 * gone is named in `removed_resources`. Follows the protocol:
 * - `resource_names_subscribe`/`_unsubscribe` change the subscription whatever the nonce;
 * - `initial_resource_versions` (a reconnecting client) is what the client holds already:
 *   an unchanged resource is not sent again, one that is gone is removed;
 * - a request carrying the latest nonce is an ACK, or with `error_detail` a NACK (reported
 *   once); delta responses have no version, so the nonce stands for it;
 * - the first request of a type is always answered (an empty response lets a client with
 *   nothing to receive finish its initialisation); later ones only when there is news;
 * - a subscribed endpoint name with no endpoints is sent as an empty assignment;
 * - nothing is sent until `resources.ready()`;
 * - a snapshot change is diffed over the names it changed only, so a change costs each stream
 *   what it touches, not what the stream holds;
 * - a response is built in slices (`options.schedule`), and one type's at a time: what asks
 *   for the type meanwhile is diffed next, in the state it has then;
 * - while the client does not read (`send` returned false), nothing is built; what changed
 *   meanwhile is diffed and sent at `onDrain`, so memory stays bounded.
 */
export class DeltaStream implements XdsStream {
  readonly #subscriptions = new Map<string, Subscription>();
  #nonce = 0;
  #nodeId = '';
  readonly #gate: ResponseGate;

  constructor(private readonly options: XdsStreamOptions<DeltaResponse>) {
    this.#gate = new ResponseGate(options.schedule ?? RUN_AT_ONCE, (typeUrl, only) => {
      this.#push(typeUrl, only);
    });
  }

  onRequest(request: DeltaRequestFields, defaultTypeUrl?: string): string | undefined {
    const { limits } = this.options;
    const subscribe = request.resource_names_subscribe ?? [];
    const unsubscribe = request.resource_names_unsubscribe ?? [];
    const initial = request.initial_resource_versions ?? {};
    const tooMany =
      checkRequestNames('resource_names_subscribe', subscribe.length, limits) ??
      checkRequestNames('resource_names_unsubscribe', unsubscribe.length, limits) ??
      checkRequestNames('initial_resource_versions', Object.keys(initial).length, limits);
    if (tooMany) return tooMany;
    if (request.node?.id) this.#nodeId = clipText(request.node.id, MAX_NODE_ID_LENGTH);
    const typeUrl = request.type_url || defaultTypeUrl || '';
    if (!this.options.served.has(typeUrl)) return undefined;
    let subscription = this.#subscriptions.get(typeUrl);
    if (subscription) {
      const reply = subscription.readReply(request.response_nonce ?? '', request.error_detail);
      if (reply) this.options.onReply({ ...reply, nodeId: this.#nodeId, typeUrl });
      subscription.updateNames(subscribe, unsubscribe);
    } else {
      subscription = Subscription.delta(subscribe, unsubscribe, initial);
      this.#subscriptions.set(typeUrl, subscription);
    }
    const refused = checkStreamNames(this.#subscriptions.values(), limits);
    if (refused) return refused;
    this.#push(typeUrl);
    return undefined;
  }

  /**
   * Diffs each changed name for the subscriptions it concerns. Types never answered
   * (subscribed before the snapshot was ready) are answered first, in full.
   */
  onChange(changes: ResourceChanges): void {
    for (const [typeUrl, subscription] of this.#subscriptions) {
      if (subscription.nonce === undefined) this.#push(typeUrl);
    }
    for (const [typeUrl, names] of changes) {
      const subscription = this.#subscriptions.get(typeUrl);
      if (!subscription || subscription.nonce === undefined) continue;
      const touched = names.filter(
        (name) =>
          subscription.wildcard || subscription.names.has(name) || subscription.returned.has(name),
      );
      if (touched.length > 0) this.#push(typeUrl, touched);
    }
  }

  subscriptions(): Map<string, string[]> {
    return new Map([...this.#subscriptions].map(([typeUrl, s]) => [typeUrl, s.list()]));
  }

  /** Sends what changed while the client did not read. */
  onDrain(): void {
    this.#gate.drain();
  }

  close(): void {
    this.#gate.close();
  }

  /**
   * Sends what differs between what the client holds and what it should hold: over every
   * name it wants or holds, or over `only` those.
   */
  #push(typeUrl: string, only?: readonly string[]): void {
    const subscription = this.#subscriptions.get(typeUrl);
    if (!subscription || !this.options.resources.ready()) return;
    this.#gate.run(typeUrl, only, false, () => this.#build(typeUrl, subscription, only));
  }

  *#build(
    typeUrl: string,
    subscription: Subscription,
    only: readonly string[] | undefined,
  ): Generator<void, void> {
    const { resources } = this.options;
    const wants = (name: string) =>
      subscription.names.has(name) || (subscription.wildcard && resources.has(typeUrl, name));
    let candidates: string[];
    if (only) {
      candidates = [...only];
    } else {
      const all = new Set([...subscription.names, ...subscription.returned.keys()]);
      if (subscription.wildcard) for (const name of resources.names(typeUrl)) all.add(name);
      candidates = [...all];
    }
    candidates.sort();
    const sent: DeltaResponse['resources'][number][] = [];
    const removed: string[] = [];
    for (let from = 0; from < candidates.length; from += BUILD_SLICE) {
      if (from > 0) yield;
      if (this.#gate.closed) return;
      for (const name of candidates.slice(from, from + BUILD_SLICE)) {
        const resource = wants(name) ? resources.resource(typeUrl, name) : undefined;
        if (!resource) {
          if (subscription.returned.has(name)) removed.push(name);
          continue;
        }
        if (subscription.returned.get(name) !== resource.version)
          sent.push({ name, version: resource.version, resource: resource.any });
      }
    }
    const answered = subscription.nonce !== undefined;
    if (sent.length === 0 && removed.length === 0 && answered) return;
    for (const { name, version } of sent) subscription.returned.set(name, version);
    for (const name of removed) subscription.returned.delete(name);
    this.#nonce += 1;
    const nonce = String(this.#nonce);
    subscription.onSent(nonce, nonce);
    const written = this.options.send({
      system_version_info: '',
      resources: sent,
      type_url: typeUrl,
      removed_resources: removed,
      nonce,
    });
    if (!written) this.#gate.block();
  }
}
