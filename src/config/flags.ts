import { DEFAULT_ROUTE_CONFIG_NAME } from '../core/envoy/build-route-configuration.js';
import { TLS_ISSUERS } from '../core/labels/option-values.js';
import { HOUR_MS, parseChoice, parseDurationMs } from '../core/labels/parse-label-values.js';
import { REFUSED_RANGES } from '../core/registrations/address-ranges.js';
import { DEFAULT_REGISTRATION_LIMITS } from '../core/registrations/check-registration.js';
import type { Result } from '../core/result.js';
import { LOG_FORMATS, LOG_LEVELS } from './config.js';
import { DEFAULT_GRPC_LIMITS } from './grpc-limits.js';
import {
  type Env,
  parseAcmeDirectory,
  parseAddressMode,
  parseAdminToken,
  parseCidrList,
  parseConstraints,
  parseCount,
  parseDockerHostFlag,
  parseGrace,
  parseGrpcPort,
  parseHostNames,
  parseHostPort,
  parseInterval,
  parseIp,
  parseLabelPrefix,
  parseListen,
  parseLogFormat,
  parseLogLevel,
  parseOptionalHostPort,
  parseOptionalText,
  parsePort,
  parsePortRange,
  parseRouteConfigName,
  parseSwarmMode,
  parseSwitch,
  parseTrustedHops,
  type Raw,
  type RawFlag,
} from './parse-flag-values.js';

/**
 * One command-line flag, also read from the environment as `EDS_AGENT_<NAME>` (a flag wins
 * over its variable). Its declaration is all there is of it: `parseConfig` reads it with
 * `default` and `parse`, and `--help` and the README's table are generated from it (a test
 * fails when the README's table differs).
 */
export interface FlagSpec<T> {
  /** What follows the flag in `--help`, e.g. `<port>`; none for a switch. */
  readonly value: string;
  /** A switch: `--read-only` alone, or its variable set to true or false. */
  readonly switch?: true;
  /** May be given more than once: the values are joined with commas, as its variable lists them. */
  readonly repeatable?: true;
  /**
   * The raw value when neither the flag nor its variable is set: a fixed text (`''`: unset),
   * or one read from another variable (Docker's own, such as `DOCKER_HOST`).
   */
  readonly default: string | ((env: Env) => Raw | string);
  /** How the default is worked out, when it is not just `default` (Markdown). */
  readonly defaultDoc?: string;
  /** Checks the raw value; a problem names the flag or variable it came from. */
  readonly parse: (raw: RawFlag, env: Env) => Result<T>;
  /** What the flag does (Markdown). */
  readonly doc: string;
}

/** Declares a flag, keeping the type its parser gives. */
function flag<Spec extends FlagSpec<unknown>>(spec: Spec): Spec {
  return spec;
}

/** Where the Docker CLI finds the engine when nothing says otherwise. */
export const DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock';

/** A switch that one of Docker's own variables turns on (any non-empty value, as the Docker CLI reads it). */
const dockerSwitch =
  (variable: string) =>
  (env: Env): Raw | string =>
    env[variable] ? { value: 'true', path: variable } : 'false';

/**
 * The flags one engine of `--docker-host` may set for itself in its query
 * (`tcp://10.0.0.5:2376?tlsverify&host-ip=10.0.0.5`); the flags are every engine's default.
 */
export const ENGINE_SETTINGS = [
  'tls',
  'tlsverify',
  'tlscacert',
  'tlscert',
  'tlskey',
  'ssh-identity',
  'ssh-known-hosts',
  'host-ip',
] as const;

/** The longest lifetime `--tls-lifetime` allows: 90 days, as public CAs give. */
const MAX_TLS_LIFETIME_MS = 2160 * HOUR_MS;

/** The flags, in `--help` order. */
export const FLAGS = {
  port: flag({
    value: '<port>',
    default: '8080',
    parse: parsePort,
    doc: 'HTTP port of the REST EDS server, the registration API and the status page (`0` picks a free one).',
  }),
  'http-tls-cert': flag({
    value: '<path>',
    default: '',
    parse: parseOptionalText,
    doc: 'Certificate (PEM, its chain after it) the HTTP server (REST EDS, registrations, status) shows: with `--http-tls-key`, it is served over HTTPS only, so that the admin token never crosses a network in clear. Read again every second, as `--grpc-tls-cert` is.',
  }),
  'http-tls-key': flag({
    value: '<path>',
    default: '',
    parse: parseOptionalText,
    doc: 'The private key of `--http-tls-cert`.',
  }),
  'http-client-ca': flag({
    value: '<path>',
    default: '',
    parse: parseOptionalText,
    doc: "CA (PEM) that must have signed every HTTP client's certificate (mutual TLS): a client without one is refused in the handshake. Needs `--http-tls-cert`.",
  }),
  'grpc-port': flag({
    value: '<port>|off',
    default: '18000',
    parse: parseGrpcPort,
    doc: 'Port of the gRPC xDS server: ADS, EDS, CDS, LDS, RDS and SDS (`0` picks a free one; `off` disables it).',
  }),
  'grpc-tls-cert': flag({
    value: '<path>',
    default: '',
    parse: parseOptionalText,
    doc: 'Certificate (PEM, its chain after it) the gRPC xDS server shows: with `--grpc-tls-key`, xDS is served over TLS only. Read again every second: a certificate rotated on disk is served to new connections with no restart, once the certificate and key on disk match.',
  }),
  'grpc-tls-key': flag({
    value: '<path>',
    default: '',
    parse: parseOptionalText,
    doc: 'The private key of `--grpc-tls-cert`.',
  }),
  'grpc-client-ca': flag({
    value: '<path>',
    default: '',
    parse: parseOptionalText,
    doc: "CA (PEM) that must have signed every gRPC client's certificate (mutual TLS): a client without one is refused in the handshake. Needs `--grpc-tls-cert`; read again every second, as it is.",
  }),
  'grpc-max-streams': flag({
    value: '<count>',
    default: String(DEFAULT_GRPC_LIMITS.maxStreams),
    parse: parseCount,
    doc: 'Most gRPC streams open at once; one more is refused with `RESOURCE_EXHAUSTED`.',
  }),
  'grpc-max-streams-per-peer': flag({
    value: '<count>',
    default: String(DEFAULT_GRPC_LIMITS.maxStreamsPerPeer),
    parse: parseCount,
    doc: 'Most gRPC streams open at once from one client address, however many connections it opens, so that one client cannot take them all.',
  }),
  'grpc-max-connections-per-peer': flag({
    value: '<count>',
    default: String(DEFAULT_GRPC_LIMITS.maxConnectionsPerPeer),
    parse: parseCount,
    doc: 'Most gRPC connections open at once from one client address: one more is closed as it is accepted, before its TLS handshake, so that a flood of idle connections cannot take the server. Warned of once per address.',
  }),
  'grpc-max-streams-per-connection': flag({
    value: '<count>',
    default: String(DEFAULT_GRPC_LIMITS.maxStreamsPerConnection),
    parse: parseCount,
    doc: "Most gRPC streams open at once on one connection, as HTTP/2's `SETTINGS_MAX_CONCURRENT_STREAMS`: a client opens more only as others end.",
  }),
  'grpc-max-names': flag({
    value: '<count>',
    default: String(DEFAULT_GRPC_LIMITS.maxNames),
    parse: parseCount,
    doc: 'Most resource names one gRPC request may list, and one stream subscribe to; more ends the stream with `INVALID_ARGUMENT`.',
  }),
  bind: flag({
    value: '<ip>',
    default: '0.0.0.0',
    parse: parseIp,
    doc: 'Address both servers listen on (an IP literal).',
  }),
  'allowed-hosts': flag({
    value: '<names>',
    repeatable: true,
    default: '',
    parse: parseHostNames,
    doc: 'Names the HTTP API may be reached by besides IP literals, `localhost`, `*.localhost` and single-label names (`eds-agent`): `eds.example.com`, or `*.example.com` for its subdomains. A request whose `Host` or `Origin` names anything else is refused (403), so that a web page cannot reach the agent by DNS rebinding.',
  }),
  'docker-host': flag({
    value: '<url>',
    repeatable: true,
    default: (env) =>
      env.DOCKER_HOST ? { value: env.DOCKER_HOST, path: 'DOCKER_HOST' } : DEFAULT_DOCKER_HOST,
    defaultDoc: `\`$DOCKER_HOST\`, else \`${DEFAULT_DOCKER_HOST}\``,
    parse: parseDockerHostFlag,
    doc: `Docker engine to watch: \`unix:///path\`, \`tcp://host:port\` (2376 with TLS, else 2375) or \`ssh://user@host[:port]\`. Repeat it (or list with commas) for several, each \`[name=]url[?setting&…]\` with settings among ${ENGINE_SETTINGS.map((name) => `\`${name}\``).join(', ')} (see Several engines).`,
  }),
  'engine-grace': flag({
    value: '<duration>',
    default: '60s',
    parse: parseInterval,
    doc: 'With several engines, how long one that went away keeps its last endpoints served; then they are withdrawn until it is back. One engine keeps them.',
  }),
  'route-grace': flag({
    value: '<duration>',
    default: '5m',
    parse: parseGrace,
    doc: 'How long a service whose last container went keeps its cluster and routes, with no endpoints, so Envoy answers 503 `no healthy upstream` (not 404) and a container back in time needs no new route; `0` drops them at once.',
  }),
  tls: flag({
    value: '',
    switch: true,
    default: dockerSwitch('DOCKER_TLS'),
    defaultDoc: '`false`, or `true` if `$DOCKER_TLS` is set',
    parse: parseSwitch,
    doc: 'TLS to a `tcp://` engine (implied by `--tlsverify`).',
  }),
  tlsverify: flag({
    value: '',
    switch: true,
    default: dockerSwitch('DOCKER_TLS_VERIFY'),
    defaultDoc: '`false`, or `true` if `$DOCKER_TLS_VERIFY` is set',
    parse: parseSwitch,
    doc: "TLS to a `tcp://` engine, verifying the engine's certificate against the CA.",
  }),
  tlscacert: flag({
    value: '<path>',
    default: '',
    defaultDoc: '`$DOCKER_CERT_PATH/ca.pem`, else `~/.docker/ca.pem`',
    parse: parseOptionalText,
    doc: "CA certificate the engine's certificate must be signed by.",
  }),
  tlscert: flag({
    value: '<path>',
    default: '',
    defaultDoc: '`$DOCKER_CERT_PATH/cert.pem`, else `~/.docker/cert.pem`',
    parse: parseOptionalText,
    doc: 'Client certificate shown to the engine.',
  }),
  tlskey: flag({
    value: '<path>',
    default: '',
    defaultDoc: '`$DOCKER_CERT_PATH/key.pem`, else `~/.docker/key.pem`',
    parse: parseOptionalText,
    doc: "The client certificate's private key.",
  }),
  'ssh-identity': flag({
    value: '<path>',
    default: '',
    defaultDoc: '`$SSH_AUTH_SOCK` agent, else `~/.ssh/id_ed25519`, `id_ecdsa` or `id_rsa`',
    parse: parseOptionalText,
    doc: 'Private key for an `ssh://` engine host.',
  }),
  'ssh-known-hosts': flag({
    value: '<path>',
    default: '',
    defaultDoc: '`~/.ssh/known_hosts`',
    parse: parseOptionalText,
    doc: "File that must list an `ssh://` engine host's key; an unknown or different key is refused.",
  }),
  swarm: flag({
    value: 'auto|on|off',
    default: 'auto',
    parse: parseSwarmMode,
    doc: "Follow the engine's Swarm services (their running tasks become endpoints): `auto` when the engine is a Swarm manager, `on` to expect it (a warning otherwise), `off` never. Unless `off`, containers of Swarm tasks are left to it.",
  }),
  'swarm-resync': flag({
    value: '<duration>',
    default: '5s',
    parse: parseInterval,
    doc: 'How often the Swarm is read again when no event came and nothing is on the move (`250ms`, `5s`, `1m`); while a service updates or a task starts or stops, every 250 ms.',
  }),
  'route-config-name': flag({
    value: '<name>',
    default: DEFAULT_ROUTE_CONFIG_NAME,
    parse: parseRouteConfigName,
    doc: "Name of the route configuration (RDS, over gRPC) that routes each service at its domains; Envoy's listener asks for it by this name. 1–255 of `A-Z a-z 0-9 _ . : -`.",
  }),
  'label-prefix': flag({
    value: '<prefix>',
    default: 'eds',
    parse: parseLabelPrefix,
    doc: 'Prefix of every label the agent reads: lowercase dot-separated words, e.g. `com.example.eds`.',
  }),
  'address-mode': flag({
    value: 'container|host',
    default: 'container',
    parse: parseAddressMode,
    doc: "`container`: the container's IP on its network, and the container port. `host`: the port Docker published on the host, at the host IP Docker reports.",
  }),
  'host-ip': flag({
    value: '<ip>',
    default: '127.0.0.1',
    parse: parseIp,
    doc: 'IP advertised in `host` mode for ports Docker published on all interfaces (`0.0.0.0` or `::`).',
  }),
  network: flag({
    value: '<name>',
    default: '',
    parse: parseOptionalText,
    doc: 'Docker network whose IP is used in `container` mode, unless a container sets `eds.network`.',
  }),
  'exposed-by-default': flag({
    value: 'true|false',
    default: 'true',
    parse: parseSwitch,
    doc: "`false`: serve only containers labelled `eds.enable=true`, so that an image's own `LABEL`s cannot publish it (a labelled container without it is withheld, and `/status` says why).",
  }),
  constraint: flag({
    value: '<test>',
    repeatable: true,
    default: '',
    parse: parseConstraints,
    doc: "Serve only containers whose labels pass every test given, in `docker ps --filter`'s words: `label=<key>`, `label=<key>=<value>`, `label!=<key>`, `label!=<key>=<value>`, or `project=<name>` (the compose project, or the Swarm stack). A labelled container that fails one is withheld, and `/status` says which.",
  }),
  'allowed-domains': flag({
    value: '<names>',
    repeatable: true,
    default: '',
    parse: parseHostNames,
    doc: 'What `eds.domains` may claim: unset, exact names only (a wildcard, which takes every host no other service holds, is refused); set, only names under these: `*.example.com` (any name under example.com, wildcards too), `shop.test` (that name), `*` (anything). A container claiming more is not served, and its problem is logged and shown in `/status`.',
  }),
  'auth-hosts': flag({
    value: '<names>',
    repeatable: true,
    default: '',
    parse: parseHostNames,
    doc: "The hosts outside the stack that `eds.auth.forward` and `eds.auth.jwt.jwks` may name (`https://<host>/…`, an identity provider's JWKS say): `idp.example.com` (that name), `*.example.com` (names under it), `*` (any). Unset, none: a label names only services of the agent, and Envoy reaches no host a label chose. Such a host is reached over TLS verified against `--upstream-ca`.",
  }),
  'tcp-port-range': flag({
    value: '<min>-<max>',
    default: '1024-65535',
    parse: parsePortRange,
    doc: "The ports `eds.tcp_port` may open on Envoy; a container asking for another is not served. Keep Envoy's own listeners and admin port out of it.",
  }),
  'log-level': flag({
    value: '<level>',
    default: 'info',
    parse: parseLogLevel,
    doc: `One of ${LOG_LEVELS.map((level) => `\`${level}\``).join(', ')}.`,
  }),
  'log-format': flag({
    value: LOG_FORMATS.join('|'),
    default: '',
    defaultDoc: '`pretty` on a terminal, else `json`',
    parse: parseLogFormat,
    doc: '`json`: one JSON object per line on stdout; `pretty`: one readable line each.',
  }),
  listen: flag({
    value: 'http=[<address>:]<port>,https=[<address>:]<port>',
    default: '',
    defaultDoc: "none: Envoy's listeners are its own",
    parse: parseListen,
    doc: "The front door: the agent serves Envoy's listeners over LDS, `front/http` and `front/https` (either or both), routed by the agent's route configuration; the HTTPS one terminates TLS for the domains of services labelled `eds.tls=true`, with certificates sent over SDS. The address defaults to `0.0.0.0`. Envoy needs no listener of its own: `eds-agent bootstrap` prints its whole configuration. See [HTTPS](docs/https.md).",
  }),
  'trusted-hops': flag({
    value: '<n>',
    default: '0',
    parse: parseTrustedHops,
    doc: "With `--listen`: how many proxies in front of Envoy (a load balancer, a CDN) append to `X-Forwarded-For` and are trusted to. The client's address, which `eds.allow_ips` checks and services see in `X-Envoy-External-Address`, is then the one that many entries from the right (Envoy's `xff_num_trusted_hops`). `0`: Envoy's peer is the client, and a client's own `X-Forwarded-For` is not believed.",
  }),
  'proxy-protocol': flag({
    value: '',
    switch: true,
    default: 'false',
    parse: parseSwitch,
    doc: "With `--listen`: every connection to the front door starts with a PROXY protocol header (v1 or v2, as HAProxy and cloud load balancers send it), which gives the client's address; a connection without one is refused.",
  }),
  'tls-issuer': flag({
    value: `auto|${TLS_ISSUERS.join('|')}`,
    default: 'auto',
    parse: ({ value, path }) => parseChoice(['auto', ...TLS_ISSUERS] as const, value, path),
    doc: "Who signs the certificates of a service that does not say (`eds.tls.issuer`). `internal`: the agent's own CA (root and intermediate made once, in `--tls-store`), trusted by whoever installs its root (`GET /pki/root.pem`). `acme`: an ACME CA (`--acme-directory`), the HTTP-01 challenge answered by Envoy's HTTP listener. `file`: the files of `--tls-cert-dir`. `auto`: `internal` for development names (`*.localhost`, `*.test`, `*.internal`, `*.local`, a single label), `acme` for the others when `--acme-email` is set, else `internal`.",
  }),
  'tls-store': flag({
    value: '<folder>',
    default: '',
    defaultDoc:
      '`tls/` beside `--state-file`, else none: certificates and the CA live in memory, and a restart makes new ones (the log warns)',
    parse: parseOptionalText,
    doc: 'Folder where the CA, certificates and keys are kept (files `0600`, written with fsync), so that a restart serves the same ones while they are valid. Two agents may share it: a lock file in it makes one issue and the other read.',
  }),
  'tls-cert-dir': flag({
    value: '<folder>',
    default: '',
    parse: parseOptionalText,
    doc: 'Folder of certificate files for the `file` issuer: `<name>.crt` or `<name>.pem` (the leaf, then its chain) with the key in `<name>.key` or after the chain; each serves the domains its subject alternative names cover (a wildcard one label deep). Read again within 2 s of a change, so a renewal by certbot or a mounted secret reaches Envoy without a restart.',
  }),
  'acme-directory': flag({
    value: '<url>|letsencrypt|letsencrypt-staging',
    default: 'letsencrypt',
    parse: parseAcmeDirectory,
    doc: "The ACME CA's directory URL (RFC 8555). `letsencrypt` is Let's Encrypt's production, `letsencrypt-staging` its staging (untrusted certificates, generous rate limits: try a setup there first).",
  }),
  'acme-email': flag({
    value: '<address>',
    default: '',
    parse: parseOptionalText,
    doc: "The contact address of the ACME account (the CA's expiry and policy mail). Setting it turns on `acme` for public names under `--tls-issuer auto`; agreeing to the CA's terms of service is implied.",
  }),
  'acme-eab-kid': flag({
    value: '<key id>',
    default: '',
    parse: parseOptionalText,
    doc: 'External account binding (RFC 8555, 7.3.4) for CAs that ask for it (ZeroSSL, Google Trust Services, step-ca): the key id the CA gave, with `--acme-eab-hmac-key`.',
  }),
  'acme-eab-hmac-key': flag({
    value: '<base64url key>',
    default: '',
    parse: parseOptionalText,
    doc: 'The MAC key of `--acme-eab-kid`, base64url as the CA gives it.',
  }),
  'acme-ca': flag({
    value: '<path>',
    default: '',
    parse: parseOptionalText,
    doc: "A CA file (PEM) the ACME server's own HTTPS certificate chains to, trusted besides the system's: a private ACME server (step-ca, Pebble).",
  }),
  'upstream-ca': flag({
    value: '<path>',
    default: '',
    parse: parseOptionalText,
    doc: 'CA file (PEM) the endpoints of `eds.protocol=https` services must chain to, read at start and sent to Envoy inside their clusters (Envoy reads no file). Without it, such a service is served only with `eds.tls.upstream_verify=false`.',
  }),
  'tls-lifetime': flag({
    value: '<duration>',
    default: '24h',
    parse: ({ value, path }) => parseDurationMs(value, path, 10_000, MAX_TLS_LIFETIME_MS),
    doc: 'How long a certificate of the internal CA is valid (10s to 2160h, 90 days); it is renewed after two thirds of it.',
  }),
  'xds-address': flag({
    value: '<host>:<port>',
    default: '',
    defaultDoc: '`127.0.0.1:<--grpc-port>`',
    parse: parseOptionalHostPort,
    doc: "For `eds-agent bootstrap`: how Envoy reaches the agent's gRPC server, a host name (resolved by DNS, such as a compose service's name) or an IP address, and a port.",
  }),
  'envoy-admin': flag({
    value: '<address>:<port>',
    default: '127.0.0.1:9901',
    parse: (raw) => parseHostPort(raw, true),
    doc: "For `eds-agent bootstrap`: where Envoy's admin interface listens (port `0`: a free one, which Envoy's `--admin-address-path` tells). Keep it on loopback: whoever reaches it can stop Envoy.",
  }),
  'xds-ca': flag({
    value: '<path>',
    default: '',
    parse: parseOptionalText,
    doc: "For `eds-agent bootstrap`, when the gRPC server speaks TLS (`--grpc-tls-cert`): the CA file, as Envoy reads it, that the agent's certificate must chain to.",
  }),
  'xds-client-cert': flag({
    value: '<path>',
    default: '',
    parse: parseOptionalText,
    doc: "For `eds-agent bootstrap`, when the gRPC server asks for client certificates (`--grpc-client-ca`): Envoy's certificate file, as Envoy reads it.",
  }),
  'xds-client-key': flag({
    value: '<path>',
    default: '',
    parse: parseOptionalText,
    doc: 'For `eds-agent bootstrap`: the private key file of `--xds-client-cert`.',
  }),
  'state-file': flag({
    value: '<path>',
    default: '',
    defaultDoc: 'none: registrations live in memory',
    parse: parseOptionalText,
    doc: 'File where registrations made through `/edsservice` survive restarts (its folder must exist).',
  }),
  'admin-token': flag({
    value: '<token>',
    default: '',
    parse: parseAdminToken,
    doc: 'Every mutating `/edsservice` call needs `Authorization: Bearer <token>` (401 otherwise). Letters, digits and `-._~+/` (then `=` padding) only, as a bearer token is sent. Visible in `ps` and `docker inspect`: prefer `--admin-token-file`.',
  }),
  'admin-token-file': flag({
    value: '<path>',
    default: '',
    parse: parseOptionalText,
    doc: 'File holding the admin token (a Docker or compose secret, say); a trailing newline is ignored. Not with `--admin-token`.',
  }),
  'insecure-open-writes': flag({
    value: '',
    switch: true,
    default: 'false',
    parse: parseSwitch,
    doc: 'Let anyone who reaches the agent make mutating `/edsservice` calls although it listens beyond loopback with no admin token: for demos only. Without it, such calls are refused (403) until a token is set; on a loopback `--bind` they are open.',
  }),
  'read-only': flag({
    value: '',
    switch: true,
    default: 'false',
    parse: parseSwitch,
    doc: 'Refuse every mutating `/edsservice` call (405): Docker is the only source.',
  }),
  'registration-allow-cidr': flag({
    value: '<cidr>',
    repeatable: true,
    default: '',
    parse: parseCidrList,
    doc: `Address range a registration may name although it is refused by default (${REFUSED_RANGES.map(([cidr]) => `\`${cidr}\``).join(', ')}: loopback, unspecified, link-local, multicast), e.g. \`127.0.0.0/8\` for upstreams on this machine. Never one that holds Envoy's admin address.`,
  }),
  'registrations-join-docker': flag({
    value: '',
    switch: true,
    default: 'false',
    parse: parseSwitch,
    doc: 'Let a registration add hosts to a cluster that Docker labels serve; refused (403) by default, so that a write cannot take part of a labelled service.',
  }),
  'registration-max-services': flag({
    value: '<count>',
    default: String(DEFAULT_REGISTRATION_LIMITS.maxServices),
    parse: parseCount,
    doc: 'Most services registered through `/edsservice`; a new one beyond is refused (429).',
  }),
  'registration-max-hosts': flag({
    value: '<count>',
    default: String(DEFAULT_REGISTRATION_LIMITS.maxHostsPerService),
    parse: parseCount,
    doc: 'Most hosts one registered service may have; more is refused (429).',
  }),
  'registration-max-tags': flag({
    value: '<count>',
    default: String(DEFAULT_REGISTRATION_LIMITS.maxTagsPerHost),
    parse: parseCount,
    doc: 'Most tags one registered host may have; more is refused (413).',
  }),
  'registration-max-tag-bytes': flag({
    value: '<bytes>',
    default: String(DEFAULT_REGISTRATION_LIMITS.maxTagBytes),
    parse: parseCount,
    doc: "Most bytes of one registered host's tags, as JSON; more is refused (413).",
  }),
  'protect-status': flag({
    value: '',
    switch: true,
    default: 'false',
    parse: parseSwitch,
    doc: '`/status` and `/metrics` need the admin token too (`Authorization: Bearer <token>`); needs `--admin-token`. The page `/` asks for it.',
  }),
  'metrics-cluster-labels': flag({
    value: '',
    switch: true,
    default: 'false',
    parse: parseSwitch,
    doc: 'Add `eds_agent_cluster_endpoints{cluster,health}`: cluster names as label values, one series per cluster and health.',
  }),
} as const;

/** A flag's name, without its dashes. */
export type FlagName = keyof typeof FLAGS;

export type EngineSetting = (typeof ENGINE_SETTINGS)[number];

/** The value a flag's parser gives. */
export type FlagValue<K extends FlagName> = (typeof FLAGS)[K] extends FlagSpec<infer T> ? T : never;

/** The default as the reference states it: `defaultDoc`, else the fixed value in code, else none. */
export function describeFlagDefault(spec: FlagSpec<unknown>): string {
  if (spec.defaultDoc !== undefined) return spec.defaultDoc;
  return typeof spec.default === 'string' && spec.default !== '' ? `\`${spec.default}\`` : 'none';
}
