import { type ErrorDetail, WILDCARD } from './xds-protocol.js';

/** What a request said of the last response: accepted, or refused with the client's message. */
export interface Reply {
  readonly kind: 'ack' | 'nack';
  /** The version of the response it is about. */
  readonly version: string;
  readonly message: string;
}

/**
 * The server's view of one type on one stream, for both protocol variants: what the client
 * subscribed to, what it holds, the last response it was sent and what it said of it. Modelled
 * on go-control-plane's `pkg/server/stream/v3/subscription.go`.
 *
 * Which resources a client wants, as the xDS protocol says ("How the client specifies what
 * resources to return"):
 * - a client that has never named a resource of the type subscribes to all of them (the
 *   legacy wildcard): its first request names none, and each later one that names none
 *   keeps it so;
 * - once it names one, `*` included, that rule is over, and `*` stands for every resource:
 *   state of the world lists the whole subscription in every request (so an empty list then
 *   means none), delta adds and removes names, `*` among them;
 * - delta: a name unsubscribed while the wildcard still covers it is sent again if it
 *   exists, or named removed if not, as if the client held no version of it.
 *
 * And what a client says of a response: a request that carries the last response's nonce
 * accepts it (ACK), or with an `error_detail` refuses it (NACK); another nonce is stale.
 */
export class Subscription {
  #wildcard: boolean;
  /** True until the client names a resource: an empty request then still means every one. */
  #legacyWildcard: boolean;
  #names = new Set<string>();
  #nameBytes = 0;
  /**
   * What the client holds, resource name → version: delta's `initial_resource_versions`,
   * then what it was sent. State of the world does not track it per resource.
   */
  readonly returned: Map<string, string>;
  /** The nonce and version of the last response sent; undefined before the first. */
  #nonce: string | undefined;
  #version: string | undefined;
  /** The version whose refusal was reported, so a repeated NACK is reported once. */
  #refused: string | undefined;

  private constructor(noNames: boolean, returned: Map<string, string>) {
    this.#wildcard = noNames;
    this.#legacyWildcard = noNames;
    this.returned = returned;
  }

  /** A state-of-the-world subscription, from its first request's `resource_names`. */
  static sotw(names: readonly string[]): Subscription {
    const subscription = new Subscription(names.length === 0, new Map());
    subscription.setNames(names);
    return subscription;
  }

  /** A delta subscription, from its first request. */
  static delta(
    subscribe: readonly string[],
    unsubscribe: readonly string[],
    initialVersions: Readonly<Record<string, string>>,
  ): Subscription {
    const subscription = new Subscription(
      subscribe.length === 0,
      new Map(Object.entries(initialVersions)),
    );
    subscription.updateNames(subscribe, unsubscribe);
    return subscription;
  }

  /** Every resource of the type, whether or not it is also named. */
  get wildcard(): boolean {
    return this.#wildcard;
  }

  /** The names subscribed to explicitly (a wildcard subscription may name some too). */
  get names(): ReadonlySet<string> {
    return this.#names;
  }

  /** The length of every name subscribed to, summed (UTF-16 code units). */
  get nameBytes(): number {
    return this.#nameBytes;
  }

  /** The subscription as `/status` lists it: `*` first when wildcard, then the names. */
  list(): string[] {
    return [...(this.#wildcard ? [WILDCARD] : []), ...this.#names];
  }

  /** State of the world: `names` is the whole subscription now. True when it changed. */
  setNames(names: readonly string[]): boolean {
    if (this.#legacyWildcard) {
      if (names.length === 0) return false;
      this.#legacyWildcard = false;
    }
    const next = new Set(names);
    const wildcard = next.delete(WILDCARD);
    const changed =
      wildcard !== this.#wildcard ||
      next.size !== this.#names.size ||
      [...next].some((name) => !this.#names.has(name));
    this.#wildcard = wildcard;
    this.#names = next;
    this.#nameBytes = 0;
    for (const name of next) this.#nameBytes += name.length;
    return changed;
  }

  /** Delta: adds the names of `subscribe`, then removes those of `unsubscribe` (`*` is the wildcard). */
  updateNames(subscribe: readonly string[], unsubscribe: readonly string[]): void {
    if (subscribe.length > 0) this.#legacyWildcard = false;
    for (const name of subscribe) {
      if (name === WILDCARD) this.#wildcard = true;
      else if (!this.#names.has(name)) {
        this.#names.add(name);
        this.#nameBytes += name.length;
      }
    }
    for (const name of unsubscribe) {
      if (name === WILDCARD) {
        this.#wildcard = false;
        continue;
      }
      // Still covered by the wildcard: the client must learn again whether it exists.
      if (this.#wildcard && this.#names.has(name)) this.returned.set(name, '');
      else this.returned.delete(name);
      if (this.#names.delete(name)) this.#nameBytes -= name.length;
    }
  }

  /** The nonce of the last response sent; undefined before the first. */
  get nonce(): string | undefined {
    return this.#nonce;
  }

  /** The version of the last response sent; undefined before the first. */
  get version(): string | undefined {
    return this.#version;
  }

  /** The version the client refused last (reported, and not to be sent again). */
  get refused(): string | undefined {
    return this.#refused;
  }

  /** Records a response sent to the client. */
  onSent(nonce: string, version: string): void {
    this.#nonce = nonce;
    this.#version = version;
  }

  /** A request carrying a nonce other than the last response's answers an older response. */
  isStale(nonce: string): boolean {
    return nonce !== '' && nonce !== this.#nonce;
  }

  /**
   * What a request with `nonce` and `errorDetail` says of the last response: an ACK (every
   * time), a NACK (once per refused version), or nothing (no nonce, a stale one, or a NACK
   * already reported).
   */
  readReply(nonce: string, errorDetail: ErrorDetail | null | undefined): Reply | undefined {
    if (nonce === '' || nonce !== this.#nonce) return undefined;
    const version = this.#version ?? '';
    if (!errorDetail) return { kind: 'ack', version, message: '' };
    if (this.#refused === version) return undefined;
    this.#refused = version;
    return { kind: 'nack', version, message: errorDetail.message ?? '' };
  }
}
