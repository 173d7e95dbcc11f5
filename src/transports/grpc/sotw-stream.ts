import { clipText, MAX_NODE_ID_LENGTH } from '../../core/clip-text.js';
import { combineVersions } from '../../core/index/compute-version.js';
import { checkRequestNames, checkStreamNames } from './check-name-limits.js';
import { ResponseGate } from './response-gate.js';
import { type Reply, Subscription } from './subscription.js';
import {
  type AnyMessage,
  BUILD_SLICE,
  type DiscoveryRequestFields,
  OWED_AFTER,
  type ResourceChanges,
  RUN_AT_ONCE,
  type SotwResponse,
  WHOLE_SET_TYPE_URLS,
  type XdsStream,
  type XdsStreamOptions,
} from './xds-protocol.js';

/**
 * One state-of-the-world xDS stream (ADS, or one type's own service), level-triggered: it keeps
 * per type what the client subscribed to and what it was last sent (a `Subscription`), and
 * answers requests and snapshot changes with `send`. Follows the xDS protocol:
 * - a request whose `response_nonce` is not the type's last nonce is stale and ignored;
 * - one that carries it acknowledges (ACK) or, with `error_detail`, refuses (NACK) that
 *   response; each is reported (a NACK once), and a refused version is not sent again;
 * - a response is sent when the subscription changes, when a subscribed resource changes,
 *   and when owed (see `OWED_AFTER`);
 * - a subset type (endpoints, routes) is sent for each subscribed name (an unknown endpoint
 *   name gets an empty assignment); on a change, only the changed ones; whole-set types
 *   (clusters, listeners) always as the whole set;
 * - nothing is sent until `resources.ready()`;
 * - a response is built in slices (`options.schedule`), and one type's at a time: what asks
 *   for the type meanwhile is answered next, in the state it has then;
 * - while the client does not read (`send` returned false), nothing is built: the types that
 *   changed meanwhile are sent in their latest state at `onDrain`, so memory stays bounded.
 */
export class SotwStream implements XdsStream {
  readonly #subscriptions = new Map<string, Subscription>();
  #nonce = 0;
  #nodeId = '';
  /** Types owed a response at their next request (see `OWED_AFTER`). */
  readonly #owed = new Set<string>();
  readonly #gate: ResponseGate;

  constructor(private readonly options: XdsStreamOptions<SotwResponse>) {
    this.#gate = new ResponseGate(options.schedule ?? RUN_AT_ONCE, (typeUrl, only, force) => {
      this.#respond(typeUrl, only, force);
    });
  }

  onRequest(request: DiscoveryRequestFields, defaultTypeUrl?: string): string | undefined {
    const { limits } = this.options;
    const names = request.resource_names ?? [];
    const tooMany = checkRequestNames('resource_names', names.length, limits);
    if (tooMany) return tooMany;
    if (request.node?.id) this.#nodeId = clipText(request.node.id, MAX_NODE_ID_LENGTH);
    const typeUrl = request.type_url || defaultTypeUrl || '';
    if (!this.options.served.has(typeUrl)) return undefined;
    const subscription = this.#subscriptions.get(typeUrl);
    if (!subscription) {
      this.#subscriptions.set(typeUrl, Subscription.sotw(names));
      const refused = checkStreamNames(this.#subscriptions.values(), limits);
      if (refused) return refused;
      this.#respond(typeUrl, undefined);
      return undefined;
    }
    const nonce = request.response_nonce ?? '';
    if (subscription.isStale(nonce)) return undefined;
    this.#report(typeUrl, subscription.readReply(nonce, request.error_detail));
    const changed = subscription.setNames(names);
    const refused = checkStreamNames(this.#subscriptions.values(), limits);
    if (refused) return refused;
    const owed = this.#owed.delete(typeUrl);
    if (changed || owed || subscription.version === undefined)
      this.#respond(typeUrl, undefined, changed || owed);
    return undefined;
  }

  /**
   * Each type's subscribers of a changed name get it (a whole-set type gets its whole set).
   * Types that were never answered (subscribed before the snapshot was ready) are answered
   * first.
   */
  onChange(changes: ResourceChanges): void {
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
      this.#respond(typeUrl, WHOLE_SET_TYPE_URLS.has(typeUrl) ? undefined : touched);
    }
  }

  subscriptions(): Map<string, string[]> {
    return new Map([...this.#subscriptions].map(([typeUrl, s]) => [typeUrl, s.list()]));
  }

  /** Sends what changed while the client did not read, in its latest state. */
  onDrain(): void {
    this.#gate.drain();
  }

  close(): void {
    this.#gate.close();
  }

  #report(typeUrl: string, reply: Reply | undefined): void {
    if (reply) this.options.onReply({ ...reply, nodeId: this.#nodeId, typeUrl });
  }

  /**
   * Sends the type's resources (`only` those, else every subscribed one) if there is news, or
   * when `force`d by a new subscription, unless the client refused this very version.
   */
  #respond(typeUrl: string, only: readonly string[] | undefined, force = false): void {
    const subscription = this.#subscriptions.get(typeUrl);
    if (!subscription || !this.options.resources.ready()) return;
    this.#gate.run(typeUrl, only, force, () => this.#build(typeUrl, subscription, only, force));
  }

  *#build(
    typeUrl: string,
    subscription: Subscription,
    only: readonly string[] | undefined,
    force: boolean,
  ): Generator<void, void> {
    const { resources } = this.options;
    const subscribed = subscription.wildcard
      ? resources.names(typeUrl)
      : [...subscription.names].sort();
    const all: { name: string; version: string; any: AnyMessage }[] = [];
    for (let from = 0; from < subscribed.length; from += BUILD_SLICE) {
      if (from > 0) yield;
      if (this.#gate.closed) return;
      for (const name of subscribed.slice(from, from + BUILD_SLICE)) {
        const resource = resources.resource(typeUrl, name);
        if (resource) all.push({ name, version: resource.version, any: resource.any });
      }
    }
    const version = combineVersions(all);
    // Nothing new: the client holds this version already (sent, or refused and not resent).
    if (only === undefined && version === subscription.version && !force) return;
    if (version === subscription.refused) return;
    const wanted = only && new Set(only);
    const included = wanted ? all.filter((item) => wanted.has(item.name)) : all;
    this.#nonce += 1;
    const nonce = String(this.#nonce);
    subscription.onSent(nonce, version);
    const owes = OWED_AFTER.get(typeUrl);
    if (owes !== undefined && this.#subscriptions.has(owes)) this.#owed.add(owes);
    const written = this.options.send({
      version_info: version,
      resources: included.map((item) => item.any),
      type_url: typeUrl,
      nonce,
    });
    if (!written) this.#gate.block();
  }
}
