import type { Duration } from '../../src/core/duration.js';

/** What a value built for Envoy is as proto3 JSON text, parsed back: a `Duration` is its text. */
export type Served<T> = T extends Duration
  ? string
  : T extends readonly (infer U)[]
    ? Served<U>[]
    : T extends object
      ? { [K in keyof T]: Served<T[K]> }
      : T;

/** `value` as the REST API and the digests see it: through `JSON.stringify`. */
export function served<T>(value: T): Served<T> {
  return JSON.parse(JSON.stringify(value)) as Served<T>;
}
