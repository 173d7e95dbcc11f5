import { PendingResponses } from './pending-responses.js';
import type { BuildScheduler } from './xds-protocol.js';

/**
 * When a stream may build a response of a type, for both protocol variants: at once, unless
 * the client does not read (the last write found its buffer full) or a response of that type
 * is being built. Then what was asked is kept (`PendingResponses`) and asked again through
 * `respond` once it can be answered, so each type has one build at a time and a client that
 * stops reading costs nothing but what it is owed.
 */
export class ResponseGate {
  #blocked = false;
  #closed = false;
  readonly #building = new Set<string>();
  readonly #pending = new PendingResponses();

  constructor(
    private readonly schedule: BuildScheduler,
    /** Asks again for what a type was owed: the stream's own entry point. */
    private readonly respond: (typeUrl: string, only: string[] | undefined, force: boolean) => void,
  ) {}

  /** The stream has ended: nothing more is built. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Runs `build()` now, or keeps `only`/`force` for when the type can be answered. */
  run(
    typeUrl: string,
    only: readonly string[] | undefined,
    force: boolean,
    build: () => Generator<void, void>,
  ): void {
    if (this.#closed) return;
    if (this.#blocked || this.#building.has(typeUrl)) {
      this.#pending.defer(typeUrl, only, force);
      return;
    }
    this.#building.add(typeUrl);
    this.schedule(this.#tracked(typeUrl, build()));
  }

  /** The client's buffer is full: nothing is built until `drain`. */
  block(): void {
    this.#blocked = true;
  }

  /** The client reads again: what it is owed is built. */
  drain(): void {
    this.#blocked = false;
    for (const typeUrl of this.#pending.types()) this.#resume(typeUrl);
  }

  close(): void {
    this.#closed = true;
  }

  *#tracked(typeUrl: string, build: Generator<void, void>): Generator<void, void> {
    try {
      yield* build;
    } finally {
      this.#building.delete(typeUrl);
      if (!this.#closed) this.#resume(typeUrl);
    }
  }

  #resume(typeUrl: string): void {
    if (this.#blocked || this.#building.has(typeUrl)) return;
    const pending = this.#pending.take(typeUrl);
    if (pending) this.respond(typeUrl, pending.only && [...pending.only], pending.force);
  }
}
