/**
 * The outcome of parsing untrusted input: either a value or every problem found.
 * Problems are human-readable and path-prefixed, e.g. `labels["eds.port"]: expected ...`.
 */
export type Result<T> = { ok: true; value: T } | { ok: false; problems: string[] };

/** Wraps a successful value. */
export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

/** Wraps one or more problems; callers pass every problem they found, not just the first. */
export function fail<T = never>(problems: string[]): Result<T> {
  return { ok: false, problems };
}
