/** What a type is owed once it can be answered: some names, or all, and whether at any rate. */
export interface PendingResponse {
  /** The names to send (`undefined`: every subscribed one). */
  readonly only: ReadonlySet<string> | undefined;
  /** Send even when nothing changed (a new subscription, an owed answer). */
  readonly force: boolean;
}

/**
 * The responses a stream could not build yet, per type: while the client does not read, or
 * while a response of the type is being built. What is deferred several times merges into one
 * response, in the latest state: the union of the names, forced if any was.
 */
export class PendingResponses {
  readonly #byType = new Map<string, { only: Set<string> | undefined; force: boolean }>();

  defer(typeUrl: string, only: readonly string[] | undefined, force: boolean): void {
    const pending = this.#byType.get(typeUrl);
    if (!pending) {
      this.#byType.set(typeUrl, { only: only && new Set(only), force });
      return;
    }
    pending.force ||= force;
    if (!only || !pending.only) pending.only = undefined;
    else for (const name of only) pending.only.add(name);
  }

  /** What `typeUrl` is owed, now forgotten; `undefined` when nothing. */
  take(typeUrl: string): PendingResponse | undefined {
    const pending = this.#byType.get(typeUrl);
    this.#byType.delete(typeUrl);
    return pending;
  }

  /** The types owed a response. */
  types(): string[] {
    return [...this.#byType.keys()];
  }
}
