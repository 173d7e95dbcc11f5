import { computeVersion } from './compute-version.js';

/** A resource and its content-derived version. Immutable; a new version is a new object. */
export interface Versioned<T> {
  readonly version: string;
  readonly json: T;
}

/** Versions `json`, keeping `previous` (the same object) when its content is the same. */
export function toVersioned<T>(json: T, previous?: Versioned<T>): Versioned<T> {
  const version = computeVersion(json);
  return previous?.version === version ? previous : { version, json };
}

/**
 * The names whose version differs between `before` and `after` (one that appears or
 * disappears counts), sorted. Either map may be absent: then every name of the other changed.
 */
export function changedVersions(
  before: ReadonlyMap<string, Versioned<unknown>> | undefined,
  after: ReadonlyMap<string, Versioned<unknown>> | undefined,
): string[] {
  const names = new Set([...(before?.keys() ?? []), ...(after?.keys() ?? [])]);
  return [...names]
    .filter((name) => before?.get(name)?.version !== after?.get(name)?.version)
    .sort();
}
