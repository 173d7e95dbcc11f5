import type { AddressOptions } from '../core/to-container-endpoints.js';
import type { DockerEndpoint } from './parse-docker-host.js';

/** Everything the agent is configured with, validated. Built only by `parseConfig`. */
export interface Config {
  readonly port: number;
  /** Port of the gRPC xDS server (0: a free one); undefined when it is off. */
  readonly grpcPort: number | undefined;
  readonly bind: string;
  readonly dockerHost: DockerEndpoint;
  /** As given, for logs. */
  readonly dockerHostUrl: string;
  readonly address: AddressOptions;
  readonly logLevel: LogLevel;
  /** Registrations survive restarts in this file; in memory only when absent. */
  readonly stateFile: string | undefined;
  /** Bearer token every mutating registration call needs; none when absent. */
  readonly adminToken: string | undefined;
  /** Refuses every mutating registration call (Docker is then the only source). */
  readonly readOnly: boolean;
  /** The name of the route configuration served over RDS to Envoy's listener. */
  readonly routeConfigName: string;
  /** `/status` and `/metrics` need the admin token too. */
  readonly protectStatus: boolean;
  /** Metrics may carry cluster names as label values. */
  readonly metricsClusterLabels: boolean;
  /** How logs are written; `undefined`: pretty on a terminal, JSON otherwise. */
  readonly logFormat: LogFormat | undefined;
}

export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** One command-line flag; each is also read from the environment as `EDS_AGENT_<NAME>`. */
export interface FlagSpec {
  readonly name: string;
  readonly value: string;
  readonly defaultText: string;
  readonly help: string;
  /** A switch: `--read-only`, or its variable set to true/false. */
  readonly boolean?: true;
}

/** The flags, in `--help` order. The README's reference table mirrors this list. */
export const FLAGS = [
  {
    name: 'port',
    value: '<port>',
    defaultText: '8080',
    help: 'HTTP port of the EDS server (0 picks a free one)',
  },
  {
    name: 'grpc-port',
    value: '<port>|off',
    defaultText: '18000',
    help: 'port of the gRPC xDS server (ADS, EDS, CDS; 0 picks a free one; off disables it)',
  },
  {
    name: 'bind',
    value: '<ip>',
    defaultText: '0.0.0.0',
    help: 'address to listen on (both servers)',
  },
  {
    name: 'docker-host',
    value: '<url>',
    defaultText: '$DOCKER_HOST, else unix:///var/run/docker.sock',
    help: 'Docker engine to watch: unix:///path, tcp://host:port or ssh://user@host',
  },
  {
    name: 'tls',
    value: '',
    defaultText: 'false, or true if $DOCKER_TLS is set',
    help: 'use TLS to a tcp:// engine (implied by --tlsverify)',
    boolean: true,
  },
  {
    name: 'tlsverify',
    value: '',
    defaultText: 'false, or true if $DOCKER_TLS_VERIFY is set',
    help: 'use TLS to a tcp:// engine and verify its certificate against the CA',
    boolean: true,
  },
  {
    name: 'tlscacert',
    value: '<path>',
    defaultText: '$DOCKER_CERT_PATH/ca.pem, else ~/.docker/ca.pem',
    help: 'CA certificate the engine must be signed by',
  },
  {
    name: 'tlscert',
    value: '<path>',
    defaultText: '$DOCKER_CERT_PATH/cert.pem, else ~/.docker/cert.pem',
    help: 'client certificate shown to the engine',
  },
  {
    name: 'tlskey',
    value: '<path>',
    defaultText: '$DOCKER_CERT_PATH/key.pem, else ~/.docker/key.pem',
    help: "the client certificate's private key",
  },
  {
    name: 'ssh-identity',
    value: '<path>',
    defaultText: '$SSH_AUTH_SOCK agent, else ~/.ssh/id_ed25519, id_ecdsa or id_rsa',
    help: 'private key for an ssh:// engine host',
  },
  {
    name: 'ssh-known-hosts',
    value: '<path>',
    defaultText: '~/.ssh/known_hosts',
    help: "file that must list an ssh:// engine host's key",
  },
  {
    name: 'route-config-name',
    value: '<name>',
    defaultText: 'eds-agent',
    help: "name of the route configuration (RDS, over gRPC) that routes each service's domains to it",
  },
  {
    name: 'label-prefix',
    value: '<prefix>',
    defaultText: 'eds',
    help: 'prefix of every label the agent reads',
  },
  {
    name: 'address-mode',
    value: 'container|host',
    defaultText: 'container',
    help: "container: the container's IP on its network + the container port; host: the published host port",
  },
  {
    name: 'host-ip',
    value: '<ip>',
    defaultText: '127.0.0.1',
    help: 'IP advertised in host mode for ports published on all interfaces (0.0.0.0 or ::)',
  },
  {
    name: 'network',
    value: '<name>',
    defaultText: '(none)',
    help: 'Docker network whose IP is used in container mode, unless a container sets <prefix>.network',
  },
  {
    name: 'log-level',
    value: '<level>',
    defaultText: 'info',
    help: `one of ${LOG_LEVELS.join(', ')}`,
  },
  {
    name: 'log-format',
    value: 'json|pretty',
    defaultText: 'pretty on a terminal, else json',
    help: 'json: one JSON object per line; pretty: one readable line each',
  },
  {
    name: 'state-file',
    value: '<path>',
    defaultText: '(none: registrations are kept in memory)',
    help: 'file where registrations made through /edsservice survive restarts',
  },
  {
    name: 'admin-token',
    value: '<token>',
    defaultText: '(none)',
    help: 'bearer token every mutating /edsservice call must carry',
  },
  {
    name: 'read-only',
    value: '',
    defaultText: 'false',
    help: 'refuse every mutating /edsservice call (405): Docker is the only source',
    boolean: true,
  },
  {
    name: 'protect-status',
    value: '',
    defaultText: 'false',
    help: '/status and /metrics need the admin token too (Authorization: Bearer <token>)',
    boolean: true,
  },
  {
    name: 'metrics-cluster-labels',
    value: '',
    defaultText: 'false',
    help: 'add per-cluster metrics, with cluster names as label values (as many series as clusters)',
    boolean: true,
  },
] as const satisfies readonly FlagSpec[];

export type FlagName = (typeof FLAGS)[number]['name'];

/** `docker-host` → `EDS_AGENT_DOCKER_HOST`. */
export function toEnvName(flag: string): string {
  return `EDS_AGENT_${flag.toUpperCase().replaceAll('-', '_')}`;
}

/** The text `--help` prints. */
export function formatHelp(): string {
  const rows = FLAGS.map((flag) => {
    const left = `  --${flag.name}${flag.value ? ` ${flag.value}` : ''}`;
    return `${left.padEnd(34)}${flag.help}\n${''.padEnd(34)}default: ${flag.defaultText}; env: ${toEnvName(flag.name)}`;
  });
  return [
    'eds-agent: serves Docker containers labelled <prefix>.service to Envoy over gRPC xDS (ADS) and REST EDS.',
    '',
    'Usage: eds-agent [flags]',
    '',
    'Flags (each also read from the environment; a flag wins over its variable):',
    ...rows,
    `  ${'--help'.padEnd(32)}print this help and exit`,
    `  ${'--version'.padEnd(32)}print the version and exit`,
    '',
    'Labels: <prefix>.service, .port, .weight, .priority, .region, .zone, .subzone, .canary,',
    '        .network, .lb_policy, .connect_timeout, .domains, .path_prefix, .enable, and',
    '        <prefix>.services.<cluster>.<key> for several clusters.',
    'gRPC:   ADS, EDS, CDS, LDS and RDS, state of the world and delta (envoy.service.*.v3).',
    'HTTP:   POST /v3/discovery:endpoints, POST /v2/discovery:endpoints, GET /healthz, GET /readyz,',
    '        GET / (live status page), GET /status (JSON), GET /metrics (Prometheus),',
    '        /edsservice[/<service>[/hosts/<ip>:<port>]] (registration), GET /v1/registration/<service>',
  ].join('\n');
}
