import { compareText } from '../core/compare-text.js';
import type { ContainerRecord } from '../core/container-record.js';
import type { EngineStatus } from '../core/engine-status.js';
import { toHealthStatus } from '../core/index/build-cluster-load-assignment.js';
import type { Snapshot } from '../core/index/snapshot.js';
import type { ContainerEndpoints } from '../core/labels/to-container-endpoints.js';
import type { GrpcStreamStatus, RestPoller } from './client-status.js';

/** What `/status` is built from, read at the moment of the request. */
export interface StatusInputs {
  readonly version: string;
  readonly startedAt: number;
  readonly notReadyReasons: readonly string[];
  readonly labelPrefix: string;
  readonly snapshot: Snapshot;
  readonly engines: readonly EngineStatus[];
  /** Containers and Swarm tasks, each with what was decided for it and the engine it is on. */
  readonly containers: Iterable<
    readonly [
      id: string,
      entry: { record: ContainerRecord; outcome: ContainerEndpoints; engine: string },
    ]
  >;
  readonly restPollers: readonly RestPoller[];
  readonly grpcStreams: readonly GrpcStreamStatus[];
  /** The front door's certificates, when the agent serves HTTPS (`--listen https=`). */
  readonly certificates?: CertificatesInput | undefined;
}

/** What the certificate source says of itself (no key is among it). */
export interface CertificatesInput {
  readonly storePath: string | undefined;
  readonly items: readonly CertificateJson[];
}

/** One domain's certificate, as `/status` shows it. */
export interface CertificateJson {
  readonly domain: string;
  readonly service: string;
  readonly issuer: string;
  /** ISO times, when a certificate is held. */
  readonly notAfter: string | null;
  readonly renewAt: string | null;
  /** The last failure to issue it, while it lasts. */
  readonly error: string | null;
  /** After a failure: how many in a row, and when the next try is. */
  readonly failures: number;
  readonly nextAttempt: string | null;
}

/** How to trust the internal CA's root, per system, for `/status` and the docs. */
export const TRUST_ROOT_COMMANDS = {
  fetch: 'curl -fsS http://127.0.0.1:8080/pki/root.pem -o eds-agent-root.pem',
  debian:
    'sudo cp eds-agent-root.pem /usr/local/share/ca-certificates/eds-agent-root.crt && sudo update-ca-certificates',
  fedora: 'sudo cp eds-agent-root.pem /etc/pki/ca-trust/source/anchors/ && sudo update-ca-trust',
  macos:
    'sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain eds-agent-root.pem',
  windows: 'certutil -addstore -f ROOT eds-agent-root.pem',
  firefox:
    'Settings → Privacy & Security → Certificates → View Certificates → Authorities → Import (or set security.enterprise_roots.enabled)',
  node: 'NODE_EXTRA_CA_CERTS=eds-agent-root.pem node app.js',
} as const;

/** A container as `/status` shows it. */
export interface ContainerStatus {
  readonly id: string;
  readonly name: string;
  /** The name of the engine it is on. */
  readonly engine: string;
  /** `served`, `withheld` (valid, in a state that gets no traffic), `invalid` or `ignored`. */
  readonly state: ContainerEndpoints['kind'];
  /** Why it is not served, in the words of the log; `null` when it is. */
  readonly reason: string | null;
  readonly endpoints: readonly {
    readonly cluster: string;
    readonly address: string;
    readonly health: 'HEALTHY' | 'DRAINING';
  }[];
  /** Choices the agent made for it (a port or network picked), as logged. */
  readonly notes: readonly string[];
}

/** An engine as `/status` shows it. */
export interface EngineJson extends Omit<EngineStatus, 'awaySince'> {
  /** When it went away (ISO 8601), while it is away; null while followed. */
  readonly awaySince: string | null;
}

/** The document `GET /status` answers (documented in the README). */
export interface StatusJson {
  readonly agent: {
    readonly version: string;
    readonly startedAt: string;
    readonly ready: boolean;
    readonly notReadyReasons: readonly string[];
  };
  /** Each engine followed, in `--docker-host` order. */
  readonly engines: readonly EngineJson[];
  readonly containers: readonly ContainerStatus[];
  readonly clusters: readonly {
    readonly name: string;
    readonly version: string;
    readonly sources: readonly string[];
    readonly endpoints: readonly {
      readonly address: string;
      readonly health: string;
      readonly source: string;
      readonly hostname: string;
    }[];
  }[];
  readonly routes: {
    readonly name: string;
    readonly version: string;
    readonly virtualHosts: readonly {
      name: string;
      domains: readonly string[];
      routes: readonly string[];
    }[];
    readonly conflicts: readonly string[];
  };
  readonly clients: {
    readonly rest: readonly RestPoller[];
    readonly grpc: readonly GrpcStreamStatus[];
  };
  /** The front door (`--listen`): its listeners, and its certificates with how to trust them. */
  readonly frontDoor: {
    readonly listeners: readonly { name: string; version: string }[];
    /** Its clusters of auth hosts outside the stack (`--auth-hosts`). */
    readonly outside: readonly { name: string; version: string }[];
    readonly certificates: readonly CertificateJson[];
    readonly store: string | null;
    readonly rootUrl: '/pki/root.pem';
    readonly trustRoot: typeof TRUST_ROOT_COMMANDS;
  } | null;
}

/**
 * Everything the agent considered and serves, for people: every labelled container with what
 * was decided and why, every cluster with its endpoints and their sources, the routes, the
 * Docker engines, the clients that poll or stream, and the front door's certificates (never
 * their keys: the snapshot's secrets are not read). Pure.
 */
export function buildStatus(inputs: StatusInputs): StatusJson {
  const containers = [...inputs.containers]
    .map(([id, entry]) => toContainerStatus(id, entry, inputs.labelPrefix))
    .sort(
      (a, b) =>
        compareText(a.name, b.name) || compareText(a.engine, b.engine) || compareText(a.id, b.id),
    );
  const clusters = [...inputs.snapshot.clusters.values()]
    .sort((a, b) => compareText(a.name, b.name))
    .map((resource) => {
      const endpoints = resource.endpoints.map((endpoint) => ({
        address: `${endpoint.address}:${endpoint.port}`,
        health: toHealthStatus(endpoint.health),
        source: endpoint.source,
        hostname: endpoint.hostname,
      }));
      return {
        name: resource.name,
        version: resource.version,
        sources: [...new Set(endpoints.map((endpoint) => endpoint.source))].sort(),
        endpoints,
      };
    });
  const routes = inputs.snapshot.routes;
  return {
    agent: {
      version: inputs.version,
      startedAt: new Date(inputs.startedAt).toISOString(),
      ready: inputs.notReadyReasons.length === 0,
      notReadyReasons: inputs.notReadyReasons,
    },
    engines: inputs.engines.map((engine) => ({
      ...engine,
      awaySince: engine.awaySince === undefined ? null : new Date(engine.awaySince).toISOString(),
    })),
    containers,
    clusters,
    routes: {
      name: routes.json.name,
      version: routes.version,
      virtualHosts: routes.json.virtual_hosts.map((host) => ({
        name: host.name,
        domains: host.domains,
        routes: host.routes.map(
          (route) =>
            `${'prefix' in route.match ? route.match.prefix : 'path' in route.match ? route.match.path : route.match.path_separated_prefix} → ${'route' in route ? route.route.cluster : 'redirect'}`,
        ),
      })),
      conflicts: routes.conflicts.map((conflict) => conflict.message),
    },
    clients: { rest: inputs.restPollers, grpc: inputs.grpcStreams },
    frontDoor:
      inputs.snapshot.frontDoor === undefined
        ? null
        : {
            listeners: namedVersions(inputs.snapshot.frontDoor.listeners),
            outside: namedVersions(inputs.snapshot.frontDoor.outside),
            certificates: inputs.certificates?.items ?? [],
            store: inputs.certificates?.storePath ?? null,
            rootUrl: '/pki/root.pem',
            trustRoot: TRUST_ROOT_COMMANDS,
          },
  };
}

function toContainerStatus(
  id: string,
  entry: { record: ContainerRecord; outcome: ContainerEndpoints; engine: string },
  labelPrefix: string,
): ContainerStatus {
  const { record, outcome, engine } = entry;
  const base = { id: id.slice(0, 12), name: record.name, engine, state: outcome.kind };
  switch (outcome.kind) {
    case 'served':
      return {
        ...base,
        reason: null,
        endpoints: outcome.endpoints.map((endpoint) => ({
          cluster: endpoint.cluster,
          address: `${endpoint.address}:${endpoint.port}`,
          health: toHealthStatus(endpoint.health),
        })),
        notes: outcome.notes.map((note) => note.message),
      };
    case 'invalid':
      return { ...base, reason: outcome.problems.join('; '), endpoints: [], notes: [] };
    case 'withheld':
      return { ...base, reason: outcome.reason, endpoints: [], notes: [] };
    case 'ignored':
      return {
        ...base,
        reason: `labelled ${labelPrefix}.*, but with no ${labelPrefix}.service (or ${labelPrefix}.enable=false)`,
        endpoints: [],
        notes: [],
      };
  }
}

/** Each resource of `resources` by its name and version. */
function namedVersions(resources: ReadonlyMap<string, { readonly version: string }>) {
  return [...resources].map(([name, { version }]) => ({ name, version }));
}
