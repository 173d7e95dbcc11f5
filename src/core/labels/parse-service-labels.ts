import { compareText } from '../compare-text.js';
import type { Locality } from '../endpoint.js';
import { findClosest } from '../find-closest.js';
import { parseClusterName } from '../parse-cluster-name.js';
import { quote } from '../quote.js';
import { fail, ok, type Result } from '../result.js';
import {
  labelKeys,
  LABELS,
  type LabelSpec,
  type LabelValue,
  OPTION_KEYS,
  type OptionKey,
  type ServiceLabelKey,
} from './labels.js';
import type { ServiceOptions } from './service-options.js';

/**
 * One cluster a container serves, as its labels describe it. Values not given are `undefined`
 * and are resolved later against the container itself (e.g. the port from its exposed ports).
 */
export interface ServiceBinding {
  readonly cluster: string;
  readonly port: number | undefined;
  readonly weight: number | undefined;
  readonly priority: number;
  readonly locality: Locality;
  readonly canary: boolean | undefined;
  readonly network: string | undefined;
  /** How the service is tuned (cluster and routes); undefined when no option is set. */
  readonly serviceOptions: ServiceOptions | undefined;
  /** The lenient labels (`LabelSpec.lenient`) dropped for a bad value, one message each. */
  readonly dropped: readonly string[];
  /** Label keys that did (or would) carry `port` and `network`, for messages about them. */
  readonly portLabel: string;
  readonly networkLabel: string;
}

/**
 * Keys that describe an endpoint or tune its cluster; valid both at top level (`eds.port`) and
 * per service (`eds.services.api.port`).
 */
const ENDPOINT_KEYS = labelKeys('service') as readonly ServiceLabelKey[];
type EndpointKey = ServiceLabelKey;
const CONTAINER_KEYS = labelKeys('container');
const ENDPOINT_KEYS_LONGEST_FIRST = [...ENDPOINT_KEYS].sort((a, b) => b.length - a.length);
/** The keys of label families (`headers.request.set`, read as `headers.request.set.<name>`). */
const FAMILY_KEYS = ENDPOINT_KEYS.filter((key) => isFamily(key));

/** True when any label starts with `<prefix>.`: the container is one the agent should look at. */
export function hasPrefixedLabels(
  labels: Readonly<Record<string, string>>,
  prefix: string,
): boolean {
  return Object.keys(labels).some((key) => key.startsWith(`${prefix}.`));
}

/**
 * Reads a container's labels under `prefix` (e.g. `eds`) into the clusters it serves.
 *
 * - `[]` means the container is not for us: no `<prefix>.service` and no `<prefix>.services.*`,
 *   or `<prefix>.enable=false`.
 * - Top-level endpoint keys (`eds.port`, `eds.zone`, ...) apply to `eds.service` and are the
 *   defaults of every `eds.services.<cluster>.*` cluster, whose own keys win.
 * - Any problem (bad value, unknown key) fails the whole container, with every problem listed;
 *   but a bad value of a lenient label (`LabelSpec.lenient`) is only dropped, and told in the
 *   binding's `dropped`.
 */
export function parseServiceLabels(
  labels: Readonly<Record<string, string>>,
  prefix: string,
): Result<ServiceBinding[]> {
  const problems: string[] = [];
  const top = new Map<string, string>();
  const perCluster = new Map<string, Map<string, string>>();
  const servicesPrefix = `${prefix}.services.`;

  for (const [key, value] of Object.entries(labels)) {
    if (!key.startsWith(`${prefix}.`)) continue;
    if (key.startsWith(servicesPrefix)) {
      const { cluster, field } = splitClusterKey(key.slice(servicesPrefix.length));
      if (cluster === '' || !isKnownField(field)) {
        problems.push(
          `${labelPath(key)}: expected ${servicesPrefix}<cluster>.<key>, <key> being a label that may be set per cluster${hint(field, ENDPOINT_KEYS)}`,
        );
        continue;
      }
      const parsedName = parseClusterName(cluster, labelPath(key));
      if (!parsedName.ok) {
        problems.push(...parsedName.problems);
        continue;
      }
      const fields = perCluster.get(cluster) ?? new Map<string, string>();
      fields.set(field, value);
      perCluster.set(cluster, fields);
      continue;
    }
    const field = key.slice(prefix.length + 1);
    if (isKnownField(field) || (CONTAINER_KEYS as readonly string[]).includes(field)) {
      top.set(field, value);
    } else {
      problems.push(
        `${labelPath(key)}: unknown label${hint(field, [...CONTAINER_KEYS, ...ENDPOINT_KEYS], `${prefix}.`)}`,
      );
    }
  }

  const enable = top.get('enable');
  if (enable !== undefined) {
    const parsed = LABELS.enable.parse(enable, labelPath(`${prefix}.enable`));
    if (!parsed.ok) problems.push(...parsed.problems);
    else if (!parsed.value) return ok([]); // disabled: nothing else about it matters
  }

  const bindings: ServiceBinding[] = [];
  const service = top.get('service');
  if (service !== undefined) {
    const name = parseClusterName(service, labelPath(`${prefix}.service`));
    if (!name.ok) problems.push(...name.problems);
    else if (!perCluster.has(name.value)) {
      const binding = toBinding(name.value, top, new Map(), prefix, `${prefix}.`, problems);
      if (binding) bindings.push(binding);
    }
  }
  for (const [cluster, fields] of [...perCluster].sort(([a], [b]) => compareText(a, b))) {
    const binding = toBinding(
      cluster,
      top,
      fields,
      prefix,
      `${servicesPrefix}${cluster}.`,
      problems,
    );
    if (binding) bindings.push(binding);
  }
  // A bad top-level label is inherited by every cluster: report it once.
  return problems.length > 0 ? fail([...new Set(problems)]) : ok(bindings);
}

/** Builds one binding: each key from the cluster's own labels, else the top-level default. */
function toBinding(
  cluster: string,
  top: ReadonlyMap<string, string>,
  own: ReadonlyMap<string, string>,
  prefix: string,
  ownPrefix: string,
  problems: string[],
): ServiceBinding | undefined {
  const before = problems.length;
  const dropped: string[] = [];
  /** A bad value's problems: a lenient label's are only told, any other's refuse the container. */
  const report = (key: EndpointKey, found: readonly string[]) =>
    ((LABELS[key] as LabelSpec<unknown>).lenient ? dropped : problems).push(...found);
  const source = (key: EndpointKey): string =>
    own.has(key) ? `${ownPrefix}${key}` : `${prefix}.${key}`;
  /** The label's parsed value, from the cluster's own label, else the top-level one. */
  const read = <K extends EndpointKey>(key: K): LabelValue<K> | undefined => {
    if (isFamily(key))
      return readFamily(key, [top, own], [`${prefix}.`, ownPrefix], (found) =>
        report(key, found),
      ) as LabelValue<K>;
    const value = own.get(key) ?? top.get(key);
    if (value === undefined) return undefined;
    const parse = LABELS[key].parse as (value: string, path: string) => Result<LabelValue<K>>;
    const parsed = parse(value, labelPath(source(key)));
    if (parsed.ok) return parsed.value;
    report(key, parsed.problems);
    return undefined;
  };

  const binding: ServiceBinding = {
    cluster,
    port: read('port'),
    weight: read('weight'),
    priority: read('priority') ?? LABELS.priority.default,
    locality: {
      region: read('region') ?? LABELS.region.default,
      zone: read('zone') ?? LABELS.zone.default,
      subZone: read('subzone') ?? LABELS.subzone.default,
    },
    canary: read('canary'),
    network: read('network'),
    serviceOptions: toServiceOptions(read),
    dropped,
    portLabel: source('port'),
    networkLabel: source('network'),
  };
  return problems.length === before ? binding : undefined;
}

/**
 * A family's labels (`<key>.<name>`), from each of `sources` in turn (a later one's name wins,
 * compared without case), each name and value parsed: the record by parsed name, sorted;
 * undefined when none is set.
 */
function readFamily(
  key: EndpointKey,
  sources: readonly ReadonlyMap<string, string>[],
  prefixes: readonly string[],
  report: (problems: readonly string[]) => void,
): Readonly<Record<string, unknown>> | undefined {
  const spec = LABELS[key] as LabelSpec<unknown>;
  const entries = new Map<string, { name: string; value: string; path: string }>();
  sources.forEach((fields, index) => {
    for (const [field, value] of fields) {
      if (!field.startsWith(`${key}.`)) continue;
      const name = field.slice(key.length + 1);
      entries.set(name.toLowerCase(), {
        name,
        value,
        path: labelPath(`${prefixes[index] ?? ''}${field}`),
      });
    }
  });
  if (entries.size === 0) return undefined;
  const record: [string, unknown][] = [];
  for (const { name, value, path } of entries.values()) {
    const parsedName = spec.family?.parseName(name, path);
    const parsed = spec.parse(value, path);
    if (parsedName && !parsedName.ok) report(parsedName.problems);
    else if (!parsed.ok) report(parsed.problems);
    else record.push([parsedName?.value ?? name, parsed.value]);
  }
  return Object.fromEntries(record.sort(([a], [b]) => compareText(a, b)));
}

/** Formats a label key as the path used in problem messages: `labels["eds.port"]`. */
export function labelPath(key: string): string {
  return `labels[${quote(key)}]`;
}

/** The option labels set, each read once; undefined when none is. */
function toServiceOptions(
  read: <K extends OptionKey>(key: K) => LabelValue<K> | undefined,
): ServiceOptions | undefined {
  const set = OPTION_KEYS.flatMap((key) => {
    const value = read(key);
    return value === undefined ? [] : [[key, value] as const];
  });
  return set.length === 0 ? undefined : Object.fromEntries(set);
}

/**
 * `api.port` → cluster `api`, key `port`; `api.v2.health_check.path` → cluster `api.v2`, key
 * `health_check.path`. A key may hold a dot, and so may a cluster name: the longest key the
 * text ends with wins; with none, the text after the last dot is the (unknown) key.
 */
function splitClusterKey(rest: string): { cluster: string; field: string } {
  const family = FAMILY_KEYS.map((key) => [key, rest.indexOf(`.${key}.`)] as const).find(
    ([, at]) => at >= 0,
  );
  if (family) return { cluster: rest.slice(0, family[1]), field: rest.slice(family[1] + 1) };
  const known = ENDPOINT_KEYS_LONGEST_FIRST.find((key) => rest.endsWith(`.${key}`));
  const field = known ?? rest.slice(rest.lastIndexOf('.') + 1);
  return { cluster: rest.slice(0, Math.max(0, rest.length - field.length - 1)), field };
}

/** `; did you mean eds.port?` when a known key is a typo away from `field`; else the way to list them. */
function hint(field: string, known: readonly string[], prefix = ''): string {
  const closest = findClosest(field, known);
  return closest !== undefined
    ? `; did you mean ${prefix}${closest}?`
    : ' (eds-agent --help lists the labels)';
}

function isEndpointKey(key: string): key is EndpointKey {
  return (ENDPOINT_KEYS as readonly string[]).includes(key);
}

/** True for the key of a label family (`LabelSpec.family`). */
function isFamily(key: EndpointKey): boolean {
  return (LABELS[key] as LabelSpec<unknown>).family !== undefined;
}

/** A label key a service may carry: an endpoint key, or `<family>.<name>` of a family. */
function isKnownField(field: string): boolean {
  return (
    isEndpointKey(field) ||
    FAMILY_KEYS.some((key) => field.startsWith(`${key}.`) && field.length > key.length + 1)
  );
}
