import type { ContainerRecord, NetworkAttachment } from '../container-record.js';
import type { Endpoint, EndpointHealth } from '../endpoint.js';
import { quote } from '../quote.js';
import {
  DEFAULT_SERVING_POLICY,
  findPolicyProblems,
  type ServingPolicy,
} from './check-serving-policy.js';
import { describeConstraint, findFailedConstraint } from './container-constraint.js';
import { LABELS } from './labels.js';
import { labelPath, parseServiceLabels, type ServiceBinding } from './parse-service-labels.js';

/** How the agent turns a container port into an address Envoy can reach. */
export interface AddressOptions {
  /** `container`: the container's IP on a network. `host`: the port Docker published on the host. */
  readonly addressMode: 'container' | 'host';
  /** Advertised in `host` mode when Docker published on all interfaces (`0.0.0.0`, `::`). */
  readonly hostIp: string;
  /** Network whose IP is used in `container` mode when the container has no `network` label. */
  readonly network: string | undefined;
  readonly labelPrefix: string;
  /** The locality zone of endpoints whose labels set none (the engine's name, of several). */
  readonly zone?: string;
  /** Which containers are served and what their labels may claim; `DEFAULT_SERVING_POLICY` if absent. */
  readonly serving?: ServingPolicy;
}

/** Something worth one log line about a container that is otherwise served. */
export interface Note {
  readonly level: 'info' | 'warn';
  readonly message: string;
}

/**
 * What the agent does with one container, and why:
 * - `ignored`: not labelled for us (or `enable=false`);
 * - `invalid`: labelled, but its labels or attachments are wrong; every problem is listed;
 * - `withheld`: valid, but in a state that must get no traffic (paused, unhealthy, ...);
 * - `served`: these endpoints, plus notes on choices made for the user.
 */
export type ContainerEndpoints =
  | { readonly kind: 'ignored' }
  | { readonly kind: 'invalid'; readonly problems: readonly string[] }
  | { readonly kind: 'withheld'; readonly reason: string }
  | {
      readonly kind: 'served';
      readonly endpoints: readonly Endpoint[];
      readonly notes: readonly Note[];
    };

/**
 * Decides, from a container's record alone, which endpoints it contributes. Total and pure:
 * every serving rule lives here, so the source only fetches records and applies the result.
 */
export function toContainerEndpoints(
  record: ContainerRecord,
  options: AddressOptions,
): ContainerEndpoints {
  const parsed = parseServiceLabels(record.labels, options.labelPrefix);
  if (!parsed.ok) return { kind: 'invalid', problems: parsed.problems };
  if (parsed.value.length === 0) return { kind: 'ignored' };
  const policy = options.serving ?? DEFAULT_SERVING_POLICY;
  const refused = findPolicyProblems(parsed.value, policy, options.labelPrefix);
  if (refused.length > 0) return { kind: 'invalid', problems: refused };
  if (!policy.exposedByDefault && !isEnabled(record.labels, options.labelPrefix)) {
    return {
      kind: 'withheld',
      reason: `not exposed: the agent serves only containers labelled ${options.labelPrefix}.enable=true (--exposed-by-default=false)`,
    };
  }
  const failed = findFailedConstraint(record.labels, policy.constraints);
  if (failed !== undefined) {
    return {
      kind: 'withheld',
      reason: `not exposed: fails --constraint ${describeConstraint(failed)}`,
    };
  }

  const health = toEndpointHealth(record);
  if (typeof health === 'object') return health;

  const problems: string[] = [];
  const notes: Note[] = [];
  const endpoints: Endpoint[] = [];
  for (const binding of parsed.value) {
    for (const problem of binding.dropped)
      notes.push({
        level: 'warn',
        message: `${problem} (label ignored: the container is served without it)`,
      });
    const address = resolveAddress(record, binding, options, notes);
    if (typeof address === 'string') {
      problems.push(address);
      continue;
    }
    endpoints.push({
      cluster: binding.cluster,
      address: address.ip,
      port: address.port,
      hostname: record.name,
      containerId: record.id.slice(0, 12),
      health,
      weight: binding.weight,
      priority: binding.priority,
      locality:
        options.zone !== undefined && binding.locality.zone === ''
          ? { ...binding.locality, zone: options.zone }
          : binding.locality,
      canary: binding.canary,
      source: 'docker',
      ...(record.created === undefined ? {} : { since: record.created }),
      ...(binding.serviceOptions ? { serviceOptions: binding.serviceOptions } : {}),
    });
  }
  if (problems.length > 0) return { kind: 'invalid', problems };
  return { kind: 'served', endpoints, notes: dedupe(notes) };
}

/** Running and (if it has a HEALTHCHECK) healthy → serve; stopping → drain; anything else → withhold. */
function toEndpointHealth(
  record: ContainerRecord,
): EndpointHealth | { kind: 'withheld'; reason: string } {
  if (record.state === 'paused') return { kind: 'withheld', reason: 'paused' };
  if (record.state !== 'running') return { kind: 'withheld', reason: 'not running' };
  if (record.health === 'starting' || record.health === 'unhealthy') {
    return { kind: 'withheld', reason: `health ${record.health}` };
  }
  return record.stopping ? 'draining' : 'healthy';
}

/** Returns the IP and port Envoy should dial, or a problem message. */
function resolveAddress(
  record: ContainerRecord,
  binding: ServiceBinding,
  options: AddressOptions,
  notes: Note[],
): { ip: string; port: number } | string {
  const port = binding.port ?? inferPort(record, binding, notes);
  if (typeof port === 'string') return port;
  if (options.addressMode === 'host') {
    return resolveHostAddress(record, port, binding, options.hostIp);
  }
  const ip = resolveContainerIp(record, binding, options.network, notes);
  return typeof ip === 'string' ? ip : { ip: ip.address, port };
}

/** With no port label: the only exposed TCP port, or the lowest of several (with a warning). */
function inferPort(
  record: ContainerRecord,
  binding: ServiceBinding,
  notes: Note[],
): number | string {
  const [lowest, ...others] = record.exposedPorts;
  if (lowest === undefined) {
    return `${labelPath(binding.portLabel)}: not set, and the container exposes no TCP port to choose from`;
  }
  if (others.length > 0) {
    notes.push({
      level: 'warn',
      message: `${labelPath(binding.portLabel)}: not set and the container exposes ${record.exposedPorts.join(', ')}; using the lowest, ${lowest}`,
    });
  }
  return lowest;
}

function resolveHostAddress(
  record: ContainerRecord,
  port: number,
  binding: ServiceBinding,
  hostIp: string,
): { ip: string; port: number } | string {
  const bindings = record.publishedPorts
    .filter((published) => published.containerPort === port)
    // Prefer an IPv4 binding, then the lowest host port, so the choice is stable.
    .sort((a, b) => Number(isV6(a.hostIp)) - Number(isV6(b.hostIp)) || a.hostPort - b.hostPort);
  const chosen = bindings[0];
  if (chosen === undefined) {
    return `${labelPath(binding.portLabel)}: container port ${port}/tcp is not published on the host, which --address-mode host needs`;
  }
  const wildcard = chosen.hostIp === '' || chosen.hostIp === '0.0.0.0' || chosen.hostIp === '::';
  return { ip: wildcard ? hostIp : chosen.hostIp, port: chosen.hostPort };
}

function resolveContainerIp(
  record: ContainerRecord,
  binding: ServiceBinding,
  defaultNetwork: string | undefined,
  notes: Note[],
): { address: string } | string {
  const withIp = record.networks.filter((network) => ipOf(network) !== '');
  if (binding.network !== undefined) {
    const chosen = withIp.find((network) => network.name === binding.network);
    if (chosen) return { address: ipOf(chosen) };
    return `${labelPath(binding.networkLabel)}: the container has no IP address on network ${quote(binding.network)} (it has: ${describe(withIp)})`;
  }
  const sorted = [...withIp].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const preferred = sorted.find((network) => network.name === defaultNetwork);
  if (preferred) return { address: ipOf(preferred) };
  const [first] = sorted;
  if (first === undefined) {
    return `the container has no IP address on any network (network mode host or none?); use --address-mode host, or attach it to a network`;
  }
  if (defaultNetwork !== undefined) {
    notes.push({
      level: 'info',
      message: `not attached to --network ${quote(defaultNetwork)}; using network ${quote(first.name)} (of ${describe(sorted)})`,
    });
  } else if (sorted.length > 1) {
    notes.push({
      level: 'info',
      message: `several networks and none chosen; using ${quote(first.name)}, the first by name of ${describe(sorted)} (set ${labelPath(binding.networkLabel)} or --network to choose)`,
    });
  }
  return { address: ipOf(first) };
}

function ipOf(network: NetworkAttachment): string {
  return network.ipv4 !== '' ? network.ipv4 : network.ipv6;
}

function isV6(ip: string): boolean {
  return ip.includes(':');
}

function describe(networks: readonly NetworkAttachment[]): string {
  return networks.length === 0 ? 'none' : networks.map((network) => network.name).join(', ');
}

function dedupe(notes: Note[]): Note[] {
  const seen = new Set<string>();
  return notes.filter((note) => !seen.has(note.message) && seen.add(note.message));
}

/** Whether the container says `<prefix>.enable=true` (parsed as the label is everywhere). */
function isEnabled(labels: Readonly<Record<string, string>>, prefix: string): boolean {
  const key = `${prefix}.enable`;
  const value = labels[key];
  if (value === undefined) return false;
  const parsed = LABELS.enable.parse(value, key);
  return parsed.ok && parsed.value;
}
