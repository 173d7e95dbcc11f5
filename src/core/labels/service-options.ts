import type { LabelValue, OptionKey } from './labels.js';

/**
 * How a service's labels tune it: its Envoy cluster and the routes to it, one entry per
 * option label (`LabelSpec.option`), keyed as the label is (`lb_policy`,
 * `health_check.path`). An option not set is absent: the default. Its containers may
 * disagree; `resolveServiceOptions` settles on one value each.
 */
export type ServiceOptions = { readonly [K in OptionKey]?: LabelValue<K> };

/** No option set: every default. */
export const DEFAULT_SERVICE_OPTIONS: ServiceOptions = {};

/** One container whose label for an option lost to the value the others set. */
export interface OptionConflict {
  /** The container's name, as the endpoint's hostname gives it. */
  readonly container: string;
  /** Its short id, when the endpoint has one. */
  readonly containerId: string | undefined;
  readonly message: string;
}
