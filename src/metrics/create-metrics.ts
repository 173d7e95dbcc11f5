import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  type LabelValues,
  Registry,
} from 'prom-client';

import { toHealthStatus } from '../core/index/build-cluster-load-assignment.js';
import type { ClusterResource, Snapshot } from '../core/index/snapshot.js';
import type { ContainerEndpoints } from '../core/labels/to-container-endpoints.js';
import { toShortTypeName } from '../core/type-urls.js';

/** How many containers the Docker source holds in each state (`withheld` by its reason). */
export interface ContainerCounts {
  readonly served: number;
  readonly invalid: number;
  readonly ignored: number;
  /** Reason → count: `paused`, `not running`, `health starting`, `health unhealthy`. */
  readonly withheld: ReadonlyMap<string, number>;
}

/** Counts the Docker source's containers by what was decided for each. */
export function toContainerCounts(
  entries: Iterable<readonly [string, { outcome: ContainerEndpoints }]>,
): ContainerCounts {
  let served = 0;
  let invalid = 0;
  let ignored = 0;
  const withheld = new Map<string, number>();
  for (const [, { outcome }] of entries) {
    if (outcome.kind === 'served') served += 1;
    else if (outcome.kind === 'invalid') invalid += 1;
    else if (outcome.kind === 'ignored') ignored += 1;
    else withheld.set(outcome.reason, (withheld.get(outcome.reason) ?? 0) + 1);
  }
  return { served, invalid, ignored, withheld };
}

/** What the gauges read of one engine. */
type EngineReading =
  NonNullable<MetricsReaders['engines']> extends () => readonly (infer E)[] ? E : never;

/** What the gauges read at each scrape; each is optional until its component has started. */
export interface MetricsReaders {
  readonly snapshot?: () => Snapshot;
  readonly containers?: () => ContainerCounts;
  /** Each engine: its name, and whether it is read, followed, answering, withdrawn. */
  readonly engines?: () => readonly {
    name: string;
    synced: boolean;
    connected: boolean;
    responsive: boolean;
    withdrawn: boolean;
  }[];
  /** Open gRPC streams by service (`ads`, `eds`, ...) and protocol (`sotw`, `delta`). */
  readonly grpcStreams?: () => readonly { service: string; protocol: string; count: number }[];
  /** The front door's certificates, and the issuances tried since start, by issuer. */
  readonly certificates?: () => {
    readonly items: readonly {
      issuer: string;
      notAfter: string | null;
      error: string | null;
    }[];
    readonly issuances: readonly { issuer: string; outcome: 'issued' | 'failed'; count: number }[];
  };
}

/**
 * The agent's Prometheus metrics, in one registry of its own (so several agents in one
 * process never share one). Components report what happens through these methods, which keep
 * label values bounded: no container id, address or free text is ever a label value, and
 * cluster names only with `clusterLabels` (a flag the user sets knowing how many there are).
 */
export interface Metrics {
  readonly registry: Registry;
  /** Attaches (or replaces) the state the gauges read. */
  read(readers: MetricsReaders): void;
  snapshotChanged(): void;
  /** An event from the engine named `engine`. */
  dockerEvent(engine: string, action: string): void;
  /** One call to an engine (`list`, `inspect`, `events`, ...) and whether it failed. */
  dockerCall(engine: string, call: string, failed: boolean): void;
  /** A session with an engine began (every one after its first is a reconnect). */
  dockerSession(engine: string): void;
  /** A REST discovery poll answered with `status` after `seconds`. */
  restPoll(api: string, status: number, seconds: number): void;
  /** A gRPC response pushed to a client. */
  grpcResponse(typeUrl: string): void;
  /** A client's ACK or NACK of a response. */
  grpcReply(kind: 'ack' | 'nack', typeUrl: string): void;
  /** A call of the registration API answered with `status`. */
  registrationCall(method: string, status: number): void;
}

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE']);

/** `type.googleapis.com/envoy.config.cluster.v3.Cluster` → `Cluster`; `other` for what is no type name. */
function typeName(typeUrl: string): string {
  const name = toShortTypeName(typeUrl);
  return /^[A-Za-z]{1,40}$/.test(name) ? name : 'other';
}

/** 200 and 304 as they are, others by class (`4xx`, `5xx`). */
function statusClass(status: number): string {
  return status === 200 || status === 304 ? String(status) : `${Math.floor(status / 100)}xx`;
}

/** Creates the metrics, process and Node.js runtime metrics included. */
export function createMetrics(
  options: {
    clusterLabels?: boolean;
    /** Docker event actions counted under their own label; any other is `other`. */
    eventActions?: readonly string[];
  } = {},
): Metrics {
  const knownActions = new Set(options.eventActions ?? []);
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  let readers: MetricsReaders = {};
  const registers = [registry];
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
    new Counter<L>({ name, help, labelNames, registers });

  registerGauges(registers, () => readers, options.clusterLabels === true);

  const snapshotChanges = counter(
    'eds_agent_snapshot_changes_total',
    'Changes of the served snapshot.',
  );
  const dockerEvents = counter(
    'eds_agent_docker_events_total',
    'Docker events received, by engine and action.',
    ['engine', 'action'],
  );
  const dockerCalls = counter(
    'eds_agent_docker_api_requests_total',
    'Calls to the Docker engine API, by engine and call.',
    ['engine', 'call'],
  );
  const dockerErrors = counter(
    'eds_agent_docker_api_errors_total',
    'Calls to the Docker engine API that failed, by engine and call.',
    ['engine', 'call'],
  );
  const dockerReconnects = counter(
    'eds_agent_docker_reconnects_total',
    'Sessions with an engine after its first, by engine.',
    ['engine'],
  );
  const restPolls = counter(
    'eds_agent_rest_polls_total',
    'REST discovery polls, by API and status (200, 304, 4xx, 5xx).',
    ['api', 'status'],
  );
  const restLatency = new Histogram<'api'>({
    name: 'eds_agent_rest_poll_duration_seconds',
    help: 'Time from a REST discovery poll arriving to its answer written, by API.',
    labelNames: ['api'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers,
  });
  const grpcResponses = counter(
    'eds_agent_grpc_responses_total',
    'gRPC xDS responses pushed, by resource type.',
    ['type'],
  );
  const grpcAcks = counter(
    'eds_agent_grpc_acks_total',
    'gRPC xDS responses clients accepted, by resource type.',
    ['type'],
  );
  const grpcNacks = counter(
    'eds_agent_grpc_nacks_total',
    'gRPC xDS responses clients refused, by resource type.',
    ['type'],
  );
  const registrations = counter(
    'eds_agent_registration_requests_total',
    'Calls of the registration API, by method and status class.',
    ['method', 'status'],
  );
  /** Sessions begun, by engine. */
  const sessions = new Map<string, number>();

  return {
    registry,
    read(next) {
      readers = { ...readers, ...next };
    },
    snapshotChanged() {
      snapshotChanges.inc();
    },
    dockerEvent(engine, action) {
      const name = action.split(':')[0] ?? '';
      dockerEvents.inc({ engine, action: knownActions.has(name) ? name : 'other' });
    },
    dockerCall(engine, call, failed) {
      dockerCalls.inc({ engine, call });
      if (failed) dockerErrors.inc({ engine, call });
    },
    dockerSession(engine) {
      const count = (sessions.get(engine) ?? 0) + 1;
      sessions.set(engine, count);
      if (count > 1) dockerReconnects.inc({ engine });
    },
    restPoll(api, status, seconds) {
      restPolls.inc({ api, status: statusClass(status) });
      restLatency.observe({ api }, seconds);
    },
    grpcResponse(typeUrl) {
      grpcResponses.inc({ type: typeName(typeUrl) });
    },
    grpcReply(kind, typeUrl) {
      (kind === 'ack' ? grpcAcks : grpcNacks).inc({ type: typeName(typeUrl) });
    },
    registrationCall(method, status) {
      registrations.inc({
        method: KNOWN_METHODS.has(method) ? method : 'other',
        status: statusClass(status),
      });
    },
  };
}

/**
 * The gauges, each read at scrape time from what `readers` gives (see `Metrics.read`); the
 * per-cluster one only with `clusterLabels`.
 */
function registerGauges(
  registers: Registry[],
  readers: () => MetricsReaders,
  clusterLabels: boolean,
): void {
  /** A gauge whose values are read at each scrape. */
  const gauge = <L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    values: () => Iterable<readonly [LabelValues<L>, number]>,
  ) =>
    new Gauge<L>({
      name,
      help,
      labelNames,
      registers,
      collect() {
        this.reset();
        for (const [labels, value] of values()) this.set(labels, value);
      },
    });

  gauge(
    'eds_agent_containers',
    'Containers labelled for the agent, by what it does with them; withheld ones by reason.',
    ['state', 'reason'],
    function* () {
      const counts = readers().containers?.();
      if (!counts) return;
      yield [{ state: 'served', reason: '' }, counts.served];
      yield [{ state: 'invalid', reason: '' }, counts.invalid];
      yield [{ state: 'ignored', reason: '' }, counts.ignored];
      for (const [reason, count] of counts.withheld) yield [{ state: 'withheld', reason }, count];
    },
  );
  gauge('eds_agent_endpoints', 'Endpoints served, by source (docker or api).', ['source'], () =>
    bySource(readers().snapshot?.(), sourcesOf),
  );
  gauge(
    'eds_agent_clusters',
    'Clusters served with at least one endpoint of the source.',
    ['source'],
    () => bySource(readers().snapshot?.(), (resource) => [...new Set(sourcesOf(resource))]),
  );
  const engineGauge = (name: string, help: string, read: (engine: EngineReading) => boolean) =>
    gauge(name, help, ['engine'], function* () {
      for (const engine of readers().engines?.() ?? [])
        yield [{ engine: engine.name }, Number(read(engine))];
    });
  engineGauge(
    'eds_agent_docker_synced',
    '1 once the engine has been read in full since start.',
    (engine) => engine.synced,
  );
  engineGauge(
    'eds_agent_docker_connected',
    "1 while subscribed to the engine's events.",
    (engine) => engine.connected,
  );
  engineGauge(
    'eds_agent_docker_responsive',
    '1 while the engine answers its pings.',
    (engine) => engine.responsive,
  );
  engineGauge(
    'eds_agent_docker_withdrawn',
    "1 while the engine's endpoints are withdrawn: away longer than --engine-grace.",
    (engine) => engine.withdrawn,
  );
  gauge(
    'eds_agent_grpc_streams',
    'Open gRPC xDS streams, by service and protocol.',
    ['service', 'protocol'],
    function* () {
      for (const { service, protocol, count } of readers().grpcStreams?.() ?? [])
        yield [{ service, protocol }, count];
    },
  );
  registerCertificateGauges(registers, readers);
  if (clusterLabels) {
    gauge(
      'eds_agent_cluster_endpoints',
      'Endpoints served per cluster and health (only with --metrics-cluster-labels).',
      ['cluster', 'health'],
      function* () {
        for (const resource of readers().snapshot?.().clusters.values() ?? []) {
          const health = new Map<string, number>();
          for (const endpoint of resource.endpoints) {
            const status = toHealthStatus(endpoint.health);
            health.set(status, (health.get(status) ?? 0) + 1);
          }
          for (const [status, count] of health)
            yield [{ cluster: resource.name, health: status }, count];
        }
      },
    );
  }
}

/** The source of each endpoint of a cluster. */
function sourcesOf(resource: ClusterResource): string[] {
  return resource.endpoints.map((endpoint) => endpoint.source);
}

/** Counts, per source, what `of` finds in each cluster of the snapshot. */
function* bySource(
  snapshot: Snapshot | undefined,
  of: (resource: ClusterResource) => readonly string[],
): Generator<readonly [{ source: string }, number]> {
  const counts = new Map([
    ['docker', 0],
    ['api', 0],
  ]);
  for (const resource of snapshot?.clusters.values() ?? [])
    for (const source of of(resource)) counts.set(source, (counts.get(source) ?? 0) + 1);
  for (const [source, count] of counts) yield [{ source }, count];
}

/** The front door's certificates: how many by state, the soonest expiry, the issuances tried. */
function registerCertificateGauges(registers: Registry[], readers: () => MetricsReaders): void {
  new Gauge<'issuer' | 'state'>({
    name: 'eds_agent_certificates',
    help: 'Domains served over HTTPS by issuer and state: valid, renewal_failing (the last certificate still served), missing (on plain HTTP).',
    labelNames: ['issuer', 'state'],
    registers,
    collect() {
      this.reset();
      for (const item of readers().certificates?.().items ?? []) {
        const state =
          item.notAfter === null ? 'missing' : item.error === null ? 'valid' : 'renewal_failing';
        this.inc({ issuer: item.issuer, state });
      }
    },
  });
  new Gauge<'issuer'>({
    name: 'eds_agent_certificate_expiry_seconds',
    help: 'Seconds until the soonest-expiring certificate served, by issuer.',
    labelNames: ['issuer'],
    registers,
    collect() {
      this.reset();
      const soonest = new Map<string, number>();
      for (const { issuer, notAfter } of readers().certificates?.().items ?? []) {
        if (notAfter === null) continue;
        const seconds = (Date.parse(notAfter) - Date.now()) / 1000;
        soonest.set(issuer, Math.min(soonest.get(issuer) ?? Number.POSITIVE_INFINITY, seconds));
      }
      for (const [issuer, seconds] of soonest) this.set({ issuer }, seconds);
    },
  });
  new Counter<'issuer' | 'outcome'>({
    name: 'eds_agent_certificate_issuances_total',
    help: 'Certificates issued (an ACME order, the internal CA, a file read) or failed since start, by issuer.',
    labelNames: ['issuer', 'outcome'],
    registers,
    collect() {
      this.reset();
      for (const { issuer, outcome, count } of readers().certificates?.().issuances ?? [])
        this.inc({ issuer, outcome }, count);
    },
  });
}
