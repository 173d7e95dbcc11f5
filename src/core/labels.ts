import { parseClusterName } from './parse-cluster-name.js';
import {
  parseBoolean,
  parseConnectTimeout,
  parseDomains,
  parseInteger,
  parseLbPolicy,
  parseNetworkName,
  parsePathPrefix,
  parseText,
} from './parse-label-values.js';
import type { Result } from './result.js';
import {
  DEFAULT_CONNECT_TIMEOUT,
  DEFAULT_LB_POLICY,
  DEFAULT_PATH_PREFIX,
  LB_POLICIES,
} from './service-options.js';

/**
 * One label the agent reads, as `<prefix>.<key>`. Its declaration is all there is of it: the
 * parser reads it with `parse`, `--help` lists its key, and the README's table of labels is
 * generated from `default`, `defaultDoc` and `doc` (a test fails when they differ).
 */
export interface LabelSpec<T> {
  /**
   * `container`: once per container. `service`: also per cluster, as
   * `<prefix>.services.<cluster>.<key>`; the top-level label is then every cluster's default.
   */
  readonly scope: 'container' | 'service';
  /** Reads the raw value; a problem names `path`, e.g. `labels["eds.port"]`. */
  readonly parse: (value: string, path: string) => Result<T>;
  /** The value when the label is not set; absent when the agent works it out (see `defaultDoc`). */
  readonly default?: T;
  /** How the default is worked out, when it is not just `default` (Markdown). */
  readonly defaultDoc?: string;
  /** What the label does (Markdown). */
  readonly doc: string;
}

const MAX_WEIGHT = 1_000_000;
const MAX_PRIORITY = 128;
const code = (text: string) => `\`${text}\``;

/** Declares a label, keeping the types of its parser and default. */
function label<Spec extends LabelSpec<unknown>>(spec: Spec): Spec {
  return spec;
}

/** Every label, in the order the reference lists them (shown with the default prefix, `eds`). */
export const LABELS = {
  service: label({
    scope: 'container',
    parse: parseClusterName,
    doc: 'Envoy cluster name (1–255 of `A-Z a-z 0-9 _ . : -`). Containers with neither it nor `eds.services.*` are ignored.',
  }),
  enable: label({
    scope: 'container',
    parse: parseBoolean,
    default: true,
    doc: '`false` ignores the container even if it has `eds.service`.',
  }),
  port: label({
    scope: 'service',
    parse: (value, path) => parseInteger(value, path, 1, 65535),
    defaultDoc: 'the only TCP port the container exposes; of several, the lowest (the log warns)',
    doc: 'Container port to route to.',
  }),
  weight: label({
    scope: 'service',
    parse: (value, path) => parseInteger(value, path, 1, MAX_WEIGHT),
    defaultDoc: 'none: Envoy weighs endpoints equally',
    doc: `The endpoint's \`load_balancing_weight\`, an integer 1–${MAX_WEIGHT}.`,
  }),
  priority: label({
    scope: 'service',
    parse: (value, path) => parseInteger(value, path, 0, MAX_PRIORITY),
    default: 0,
    doc: `An integer 0–${MAX_PRIORITY}; keep the priorities in use contiguous from 0.`,
  }),
  region: label({
    scope: 'service',
    parse: parseText,
    default: '',
    doc: "The endpoint's locality region; endpoints are grouped by priority and locality.",
  }),
  zone: label({
    scope: 'service',
    parse: parseText,
    default: '',
    doc: "The endpoint's locality zone.",
  }),
  subzone: label({
    scope: 'service',
    parse: parseText,
    default: '',
    doc: "The endpoint's locality sub-zone.",
  }),
  canary: label({
    scope: 'service',
    parse: parseBoolean,
    defaultDoc: 'none',
    doc: '`true` or `false`, sent as `metadata.filter_metadata["envoy.lb"].canary`.',
  }),
  network: label({
    scope: 'service',
    parse: parseNetworkName,
    defaultDoc:
      '`--network` if the container is on it, else its first network by name (the log says which)',
    doc: 'In `container` mode, the Docker network whose IP to use; the container is skipped with a warning while it is not on it.',
  }),
  lb_policy: label({
    scope: 'service',
    parse: parseLbPolicy,
    defaultDoc: code(DEFAULT_LB_POLICY.toLowerCase()),
    doc: `The cluster's load-balancing policy, served over CDS (gRPC): ${LB_POLICIES.map((policy) => code(policy.toLowerCase())).join(', ')}.`,
  }),
  connect_timeout: label({
    scope: 'service',
    parse: parseConnectTimeout,
    defaultDoc: code(DEFAULT_CONNECT_TIMEOUT),
    doc: "The cluster's `connect_timeout`, served over CDS: `250ms`, `2s`, `1.5s`, from 1ms to 60s.",
  }),
  domains: label({
    scope: 'service',
    parse: parseDomains,
    defaultDoc: '`<service>` and `<service>.localhost`, lower-cased',
    doc: "Host names the service is routed at in the agent's route configuration (RDS, see [routes from labels](docs/grpc-xds.md#routes-from-labels)), comma-separated: exact names, one `*` at the start or the end (`*.example.com`, `api.*`), or `*` for any host; no port.",
  }),
  path_prefix: label({
    scope: 'service',
    parse: parsePathPrefix,
    defaultDoc: code(DEFAULT_PATH_PREFIX),
    doc: 'The path its routes match: `/api` matches `/api` and everything under `/api/`, not `/apiary`; the path is passed on unchanged.',
  }),
} as const;

/** A label's key, e.g. `port`. */
export type LabelKey = keyof typeof LABELS;

/** The keys of the labels that may be set per cluster too (`eds.services.<cluster>.<key>`). */
export type ServiceLabelKey = {
  [K in LabelKey]: (typeof LABELS)[K]['scope'] extends 'service' ? K : never;
}[LabelKey];

/** The value a label's parser gives. */
export type LabelValue<K extends LabelKey> =
  (typeof LABELS)[K] extends LabelSpec<infer T> ? T : never;

/** The keys of one scope, in declaration order. */
export function labelKeys(scope: LabelSpec<unknown>['scope']): LabelKey[] {
  return (Object.keys(LABELS) as LabelKey[]).filter((key) => LABELS[key].scope === scope);
}

/** The default as the reference states it: `defaultDoc`, else the value in code, else none. */
export function describeLabelDefault(spec: LabelSpec<unknown>): string {
  if (spec.defaultDoc !== undefined) return spec.defaultDoc;
  const value = spec.default;
  if (typeof value === 'number' || typeof value === 'boolean') return code(String(value));
  return typeof value === 'string' && value !== '' ? code(value) : 'none';
}
