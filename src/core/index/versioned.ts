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
