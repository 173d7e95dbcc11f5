import { parseClusterName } from '../parse-cluster-name.js';
import type { Result } from '../result.js';
import {
  DEFAULT_CONNECT_TIMEOUT,
  DEFAULT_LB_POLICY,
  DEFAULT_NUM_RETRIES,
  DEFAULT_PATH_PREFIX,
  DEFAULT_PROTOCOL,
  DEFAULT_RETRY_ON,
  DEFAULT_STICKY_COOKIE,
  GRPC_RETRY_ON,
  HEALTH_CHECK_DEFAULTS,
  LB_POLICIES,
  PROTOCOLS,
  RETRY_CONDITIONS,
  STICKY_KINDS,
  TLS_ISSUERS,
} from './option-values.js';
import {
  parseAudiences,
  parseAuthUrl,
  parseBasicAuthUsers,
  parseCidrs,
  parseCookieName,
  parseHeaderName,
  parseHeaderNames,
  parseHeaderValue,
  parseIssuer,
  parseMethods,
  parseOrigins,
  parseRate,
  parseRedirect,
  parseServerNames,
} from './parse-edge-values.js';
import {
  HOUR_MS,
  parseBoolean,
  parseChoice,
  parseDomains,
  parseDuration,
  parseHostName,
  parseInteger,
  parseNetworkName,
  parsePathPrefix,
  parsePathRewrite,
  parseRequestPath,
  parseRetryOn,
  parseText,
} from './parse-label-values.js';

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
  /**
   * Set on the labels that tune a whole service rather than one endpoint: its Envoy `cluster`,
   * the `route` to it, or a `listener` of its own. Its containers may disagree: the value most of them set wins.
   */
  readonly option?: 'cluster' | 'route' | 'listener';
  /** Reads the raw value; a problem names `path`, e.g. `labels["eds.port"]`. */
  readonly parse: (value: string, path: string) => Result<T>;
  /** The value when the label is not set; absent when the agent works it out (see `defaultDoc`). */
  readonly default?: T;
  /** How the default is worked out, when it is not just `default` (Markdown). */
  readonly defaultDoc?: string;
  /** What the label does (Markdown). */
  readonly doc: string;
  /**
   * Set on a family of labels, `<prefix>.<key>.<name>` for any `name` this reads (a header's,
   * say); `parse` reads each one's value, and the option is the record of them by name.
   */
  readonly family?: { readonly parseName: (name: string, path: string) => Result<string> };
  /** Set when the value must never be logged (password hashes): messages say `(hidden)`. */
  readonly secret?: true;
  /**
   * Set on the route labels that turn on a filter of the listener's HTTP chain (the edge
   * policy): they do something only in a listener that holds the chain, as the agent's own do.
   */
  readonly filter?: true;
  /**
   * Set on the labels whose absence only ever makes a service more closed, or changes nothing
   * of who gets in (CORS, compression, sticky sessions): a bad value of one is dropped with a
   * warning and the container served without it. A bad value of any other label refuses the
   * container, so that a typo never serves a service more open than it was labelled.
   */
  readonly lenient?: true;
}

/** The largest `load_balancing_weight` an endpoint may have, from a label or a registration. */
export const MAX_WEIGHT = 1_000_000;

const MAX_PRIORITY = 128;
/** The longest HSTS `max-age` a label may ask for: two years, in seconds. */
const MAX_HSTS_SECONDS = 63_072_000;
const MAX_LIMIT = 1_000_000_000;
const code = (text: string) => `\`${text}\``;
/** Reads a positive integer up to `max`. */
const upTo = (max: number) => (value: string, path: string) => parseInteger(value, path, 1, max);
/** Reads a duration from `minMs` to `maxMs`. */
const between = (minMs: number, maxMs: number) => (value: string, path: string) =>
  parseDuration(value, path, minMs, maxMs);

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
    option: 'cluster',
    parse: (value, path) => parseChoice(LB_POLICIES, value, path),
    defaultDoc: code(DEFAULT_LB_POLICY.toLowerCase()),
    doc: `The cluster's load-balancing policy, served over CDS (gRPC): ${LB_POLICIES.map((policy) => code(policy.toLowerCase())).join(', ')}.`,
  }),
  connect_timeout: label({
    scope: 'service',
    option: 'cluster',
    parse: between(1, 60_000),
    defaultDoc: code(String(DEFAULT_CONNECT_TIMEOUT)),
    doc: "The cluster's `connect_timeout`, served over CDS: `250ms`, `2s`, `1.5s`, from 1ms to 60s.",
  }),
  domains: label({
    scope: 'service',
    option: 'route',
    parse: parseDomains,
    defaultDoc: '`<service>` and `<service>.localhost`, lower-cased',
    doc: "Host names the service is routed at in the agent's route configuration (RDS, see [routes from labels](docs/grpc-xds.md#routes-from-labels)), comma-separated: exact names, one `*` at the start or the end (`*.example.com`, `api.*`), or `*` for any host, a wildcard only where `--allowed-domains` allows it; no port. A domain another service claimed first stays with it.",
  }),
  path_prefix: label({
    scope: 'service',
    option: 'route',
    parse: parsePathPrefix,
    defaultDoc: code(DEFAULT_PATH_PREFIX),
    doc: 'The path its routes match: `/api` matches `/api` and everything under `/api/`, not `/apiary`; the path is passed on unchanged unless `eds.prefix_rewrite` says otherwise.',
  }),
  protocol: label({
    scope: 'service',
    option: 'cluster',
    parse: (value, path) => parseChoice(PROTOCOLS, value, path),
    defaultDoc: code(DEFAULT_PROTOCOL),
    doc: `How Envoy speaks to the endpoints: ${PROTOCOLS.map(code).join(', ')}. \`http2\` and \`h2c\` are HTTP/2 in cleartext (the cluster's \`HttpProtocolOptions\`); \`https\` is HTTP/1.1 over TLS, the endpoint's certificate verified against \`--upstream-ca\` for the server name \`eds.tls.upstream_sni\` (else the service's name); \`grpc\` is HTTP/2 with no route timeout and retries on \`unavailable\` and \`resource-exhausted\` too; Envoy's health checks, when an \`eds.health_check.*\` label turns them on, then speak gRPC's health checking protocol (\`grpc.health.v1.Health\`, which the endpoints must implement).`,
  }),
  'health_check.path': label({
    scope: 'service',
    option: 'cluster',
    parse: parseRequestPath,
    defaultDoc: code(HEALTH_CHECK_DEFAULTS.path),
    doc: "Envoy's own active health check of each endpoint (cluster `health_checks`), on when any `eds.health_check.*` label is set: a `GET` of this path must answer 2xx. With `eds.protocol=grpc`, gRPC's health checking protocol instead (the path is not used). Docker's `HEALTHCHECK` still applies.",
  }),
  'health_check.interval': label({
    scope: 'service',
    option: 'cluster',
    parse: between(10, HOUR_MS),
    defaultDoc: code(`${HEALTH_CHECK_DEFAULTS.interval.seconds}s`),
    doc: 'Time between two checks of an endpoint, 10ms to 1h.',
  }),
  'health_check.timeout': label({
    scope: 'service',
    option: 'cluster',
    parse: between(10, HOUR_MS),
    defaultDoc: code(`${HEALTH_CHECK_DEFAULTS.timeout.seconds}s`),
    doc: 'How long a check may take before it fails, 10ms to 1h.',
  }),
  'health_check.healthy_threshold': label({
    scope: 'service',
    option: 'cluster',
    parse: upTo(1000),
    defaultDoc: code(String(HEALTH_CHECK_DEFAULTS.healthyThreshold)),
    doc: 'Checks in a row that must pass before an endpoint that failed is used again.',
  }),
  'health_check.unhealthy_threshold': label({
    scope: 'service',
    option: 'cluster',
    parse: upTo(1000),
    defaultDoc: code(String(HEALTH_CHECK_DEFAULTS.unhealthyThreshold)),
    doc: 'Checks in a row that must fail before an endpoint is no longer used.',
  }),
  'outlier.consecutive_5xx': label({
    scope: 'service',
    option: 'cluster',
    parse: upTo(1000),
    defaultDoc: "`5` (Envoy's)",
    doc: 'Passive health (cluster `outlier_detection`), on when any `eds.outlier.*` label is set: an endpoint is ejected after this many 5xx answers (or failed connections) in a row.',
  }),
  'outlier.base_ejection_time': label({
    scope: 'service',
    option: 'cluster',
    parse: between(1, HOUR_MS),
    defaultDoc: "`30s` (Envoy's)",
    doc: 'How long an ejected endpoint stays out, times the number of its ejections.',
  }),
  'outlier.max_ejection_percent': label({
    scope: 'service',
    option: 'cluster',
    parse: (value, path) => parseInteger(value, path, 0, 100),
    defaultDoc: "`10` (Envoy's; at least one endpoint may always be ejected)",
    doc: 'The most endpoints of the cluster ejected at once, in percent, 0–100.',
  }),
  max_connections: label({
    scope: 'service',
    option: 'cluster',
    parse: upTo(MAX_LIMIT),
    defaultDoc: "`1024` (Envoy's)",
    doc: 'Circuit breaker (cluster `circuit_breakers`, default priority): connections Envoy opens to the whole cluster at most.',
  }),
  max_pending_requests: label({
    scope: 'service',
    option: 'cluster',
    parse: upTo(MAX_LIMIT),
    defaultDoc: "`1024` (Envoy's)",
    doc: 'Circuit breaker: requests waiting for a connection at most; more are answered 503 at once.',
  }),
  max_requests: label({
    scope: 'service',
    option: 'cluster',
    parse: upTo(MAX_LIMIT),
    defaultDoc: "`1024` (Envoy's)",
    doc: 'Circuit breaker: requests in flight to the cluster at most; more are answered 503 at once.',
  }),
  max_retries: label({
    scope: 'service',
    option: 'cluster',
    parse: upTo(MAX_LIMIT),
    defaultDoc: "`3` (Envoy's)",
    doc: 'Circuit breaker: retries in flight to the cluster at most.',
  }),
  timeout: label({
    scope: 'service',
    option: 'route',
    parse: between(0, HOUR_MS),
    defaultDoc: "`15s` (Envoy's); none with `eds.protocol=grpc`",
    doc: "The route's `timeout`: how long Envoy waits for the whole answer before it answers 504; `0s` waits for ever.",
  }),
  idle_timeout: label({
    scope: 'service',
    option: 'route',
    parse: between(0, HOUR_MS),
    defaultDoc: 'none',
    doc: "The route's `idle_timeout`: a stream idle this long is reset; `0s` disables it.",
  }),
  retries: label({
    scope: 'service',
    option: 'route',
    parse: (value, path) => parseInteger(value, path, 0, 10),
    defaultDoc: `${code(String(DEFAULT_NUM_RETRIES))}, on connection failures only`,
    doc: 'How many times the route retries a request (`retry_policy.num_retries`), 0–10, on another endpoint when it can.',
  }),
  retry_on: label({
    scope: 'service',
    option: 'route',
    parse: parseRetryOn,
    defaultDoc: `${code(DEFAULT_RETRY_ON)} (with \`eds.protocol=grpc\`, also ${code(GRPC_RETRY_ON)})`,
    doc: `What the route retries on, comma-separated: ${RETRY_CONDITIONS.map(code).join(', ')}. Only failures before the request reached an endpoint are safe for every request.`,
  }),
  websocket: label({
    scope: 'service',
    option: 'route',
    parse: parseBoolean,
    default: false,
    doc: '`true` lets WebSocket upgrades through the route (`upgrade_configs`).',
  }),
  prefix_rewrite: label({
    scope: 'service',
    option: 'route',
    parse: parsePathRewrite,
    defaultDoc: 'none: the path is passed on unchanged',
    doc: 'Replaces the matched `eds.path_prefix`, and the `/` after it, with this path (a `/` added at its end): `/api` with `prefix_rewrite=/` sends `/api/users` as `/users`; the default prefix `/` with `/v2` sends `/users` as `/v2/users`.',
  }),
  tls: label({
    scope: 'service',
    option: 'listener',
    parse: parseBoolean,
    default: false,
    doc: "`true` serves the service's domains over HTTPS on the agent's front door (`--listen https=`): each domain gets a certificate, sent to Envoy as an SDS `Secret` and picked by the TLS server name. Exact names and `*.<domain>` only; `*`, `api.*` and a bare IP are left on HTTP (the log says so). See [HTTPS](docs/https.md).",
  }),
  'tls.redirect': label({
    scope: 'service',
    option: 'listener',
    parse: parseBoolean,
    default: true,
    doc: 'With `eds.tls=true`, plain HTTP to its domains on the front door (`--listen http=`) is answered `308` to the same URL over HTTPS; `false` routes HTTP as well.',
  }),
  'tls.hsts': label({
    scope: 'service',
    option: 'listener',
    parse: (value, path) => parseInteger(value, path, 0, MAX_HSTS_SECONDS),
    defaultDoc: 'none',
    doc: `With \`eds.tls=true\`, its HTTPS answers carry \`Strict-Transport-Security: max-age=<seconds>\` (0 to ${MAX_HSTS_SECONDS}, two years), so browsers go straight to HTTPS next time.`,
  }),
  'tls.issuer': label({
    scope: 'service',
    option: 'listener',
    parse: (value, path) => parseChoice(TLS_ISSUERS, value, path),
    defaultDoc: '`--tls-issuer`',
    doc: `Who signs its certificates: ${TLS_ISSUERS.map(code).join(', ')}. \`internal\` is the agent's own CA, whose root is at \`GET /pki/root.pem\`.`,
  }),
  'tls.upstream_sni': label({
    scope: 'service',
    option: 'cluster',
    parse: parseHostName,
    defaultDoc: 'the service name',
    doc: 'With `eds.protocol=https`: the server name Envoy asks the endpoints for (SNI), and the name their certificate must hold.',
  }),
  'tls.upstream_verify': label({
    scope: 'service',
    option: 'cluster',
    parse: parseBoolean,
    default: true,
    doc: "With `eds.protocol=https`: `false` takes the endpoints' certificates unverified (a self-signed development server); by default they must chain to `--upstream-ca` and name `eds.tls.upstream_sni`, and without `--upstream-ca` the container is not served.",
  }),
  'auth.basic': label({
    scope: 'service',
    option: 'route',
    filter: true,
    parse: parseBasicAuthUsers,
    secret: true,
    defaultDoc: 'none',
    doc: "HTTP Basic authentication on the service's routes (Envoy's `basic_auth`, per route): `user:{SHA}<base64>` entries separated by commas, as `htpasswd -nbs <user> <password>` prints them, the one form Envoy reads (a bcrypt or apr1 entry is refused). A request without valid credentials gets `401`. The hashes are never logged.",
  }),
  'auth.forward': label({
    scope: 'service',
    option: 'route',
    filter: true,
    parse: parseAuthUrl,
    defaultDoc: 'none',
    doc: "Forward authentication (Envoy's `ext_authz` with an HTTP service, per route), as Authelia, Authentik or oauth2-proxy do it: `http://<service>/<path>`, `<service>` a service of the agent (its cluster, reached as its own labels say), or `https://<host>[:<port>]/<path>` of a host `--auth-hosts` lists (over TLS verified against `--upstream-ca`). Each request is first asked of `<path>` followed by the request's own path, with its cookies, `Authorization` and `X-Forwarded-*`: a `200` lets it through, anything else (a `302` to a login page, a `401`) is the client's answer as it is. When the auth service cannot be reached, `403`.",
  }),
  'auth.forward.headers': label({
    scope: 'service',
    option: 'route',
    parse: parseHeaderNames,
    defaultDoc: 'none',
    doc: "With `eds.auth.forward`: headers of the auth service's `200` copied onto the request to the service (`remote-user,remote-groups`), separated by commas. The client's own headers of these names are removed first: only the auth service sets them.",
  }),
  'auth.jwt.issuer': label({
    scope: 'service',
    option: 'route',
    filter: true,
    parse: parseIssuer,
    defaultDoc: 'none',
    doc: "JWT authentication (Envoy's `jwt_authn`, per route): requests need `Authorization: Bearer <token>`, a JWT of this issuer (`iss`), signed by a key of `eds.auth.jwt.jwks`, not expired (Envoy allows 60 s of clock skew); else `401` (a valid token of another audience too). The token's claims reach the service as the `x-jwt-payload` header (base64url JSON).",
  }),
  'auth.jwt.jwks': label({
    scope: 'service',
    option: 'route',
    parse: parseAuthUrl,
    defaultDoc: 'none',
    doc: 'With `eds.auth.jwt.issuer` (and needed by it): where the signing keys are (the JWKS, kept 5 minutes): `http://<service>/<path>` of a service of the agent, or `https://<host>[:<port>]/<path>` of an identity provider outside the stack that `--auth-hosts` lists (over TLS verified against `--upstream-ca`).',
  }),
  'auth.jwt.audiences': label({
    scope: 'service',
    option: 'route',
    parse: parseAudiences,
    defaultDoc: 'none: any audience',
    doc: 'With `eds.auth.jwt.issuer`: a token must name one of these audiences (`aud`), separated by commas.',
  }),
  ratelimit: label({
    scope: 'service',
    option: 'route',
    filter: true,
    parse: parseRate,
    defaultDoc: 'none',
    doc: "Requests the service's routes take, per Envoy (Envoy's `local_ratelimit`, per route, a token bucket): `100/s`, `6000/m`, `10000/h`. A request beyond it gets `429`; every answer carries `x-ratelimit-limit`, `-remaining` and `-reset`. Each Envoy counts alone: two Envoys let twice as many through.",
  }),
  'ratelimit.burst': label({
    scope: 'service',
    option: 'route',
    parse: upTo(MAX_LIMIT),
    defaultDoc: 'the rate: a full second, minute or hour of requests at once',
    doc: "With `eds.ratelimit`: the most requests taken at once (the bucket's size).",
  }),
  sticky: label({
    scope: 'service',
    option: 'route',
    lenient: true,
    filter: true,
    parse: (value, path) => parseChoice(STICKY_KINDS, value, path),
    defaultDoc: 'none: each request is balanced',
    doc: "`cookie`: a client's requests keep reaching the container that answered its first (Envoy's `stateful_session`, per route): the answer sets a cookie naming it. When that container is gone, the next request is balanced to another, with no error, and the cookie follows.",
  }),
  'sticky.name': label({
    scope: 'service',
    option: 'route',
    lenient: true,
    parse: parseCookieName,
    defaultDoc: code(DEFAULT_STICKY_COOKIE),
    doc: "With `eds.sticky=cookie`: the cookie's name.",
  }),
  'sticky.ttl': label({
    scope: 'service',
    option: 'route',
    lenient: true,
    parse: between(0, 365 * 24 * HOUR_MS),
    defaultDoc: 'none: a session cookie, gone when the browser closes',
    doc: 'With `eds.sticky=cookie`: how long the cookie lives (`30m`, `24h`).',
  }),
  allow_ips: label({
    scope: 'service',
    option: 'route',
    filter: true,
    parse: parseCidrs,
    defaultDoc: 'none: every client',
    doc: "Only clients in these ranges reach the service (Envoy's `rbac`, per route, by the downstream remote address): CIDR ranges or addresses separated by commas (`10.0.0.0/8,2001:db8::/32,192.0.2.7`). Others get `403`. Behind a load balancer, set `--trusted-hops` or `--proxy-protocol` so that the address is the client's.",
  }),
  deny_ips: label({
    scope: 'service',
    option: 'route',
    filter: true,
    parse: parseCidrs,
    defaultDoc: 'none',
    doc: 'Clients in these ranges get `403`; with `eds.allow_ips` too, a client must be in an allowed range and in no denied one.',
  }),
  'headers.request.set': label({
    scope: 'service',
    option: 'route',
    family: { parseName: parseHeaderName },
    parse: parseHeaderValue,
    defaultDoc: 'none',
    doc: '`eds.headers.request.set.<name>=<value>` sets the request header `<name>` to `<value>` on its way to the service, replacing one the client sent. The value is sent as written (a `%` is not an Envoy command).',
  }),
  'headers.request.remove': label({
    scope: 'service',
    option: 'route',
    parse: parseHeaderNames,
    defaultDoc: 'none',
    doc: 'Request headers removed on the way to the service, separated by commas.',
  }),
  'headers.response.set': label({
    scope: 'service',
    option: 'route',
    family: { parseName: parseHeaderName },
    parse: parseHeaderValue,
    defaultDoc: 'none',
    doc: "`eds.headers.response.set.<name>=<value>` sets the response header `<name>` on its way to the client, replacing the service's.",
  }),
  'headers.response.remove': label({
    scope: 'service',
    option: 'route',
    parse: parseHeaderNames,
    defaultDoc: 'none',
    doc: 'Response headers removed on the way to the client, separated by commas (`server,x-powered-by`).',
  }),
  redirect: label({
    scope: 'service',
    option: 'route',
    parse: parseRedirect,
    defaultDoc: 'none',
    doc: "Envoy answers the service's routes with `308` itself, no container asked: `https` (the same URL over HTTPS), `host=<name>` (another host), `path=<prefix>` (the matched path prefix replaced, as `eds.prefix_rewrite` does), or several separated by commas.",
  }),
  'cors.origins': label({
    scope: 'service',
    option: 'route',
    lenient: true,
    filter: true,
    parse: parseOrigins,
    defaultDoc: 'none: no CORS answer',
    doc: "CORS (Envoy's `cors`, per route): the origins allowed, `*` or `https://app.example.com`, separated by commas. Envoy answers preflight requests itself.",
  }),
  'cors.methods': label({
    scope: 'service',
    option: 'route',
    lenient: true,
    parse: parseMethods,
    defaultDoc: '`GET,HEAD,POST` (the CORS-safelisted ones)',
    doc: 'With `eds.cors.origins`: the methods allowed, separated by commas.',
  }),
  'cors.headers': label({
    scope: 'service',
    option: 'route',
    lenient: true,
    parse: parseHeaderNames,
    defaultDoc: 'none beyond the CORS-safelisted ones',
    doc: 'With `eds.cors.origins`: request headers allowed, separated by commas.',
  }),
  'cors.credentials': label({
    scope: 'service',
    option: 'route',
    lenient: true,
    parse: parseBoolean,
    default: false,
    doc: 'With `eds.cors.origins`: `true` lets browsers send cookies and credentials.',
  }),
  compress: label({
    scope: 'service',
    option: 'route',
    lenient: true,
    filter: true,
    parse: parseBoolean,
    default: false,
    doc: "`true` compresses the service's answers for clients that accept it (Envoy's `compressor`, per route): brotli, else gzip; answers of 1 KiB or more, of text types.",
  }),
  tcp_sni: label({
    scope: 'service',
    option: 'listener',
    parse: parseServerNames,
    defaultDoc: 'none',
    doc: "TLS passthrough on the front door's HTTPS port (`--listen https=`): connections whose TLS server name (SNI) is one of these (separated by commas; `*.<domain>` where `--allowed-domains` allows it) are proxied as they are to the service's endpoints (Envoy's `tcp_proxy`, the filter chain picked by the TLS inspector), which hold the certificate and terminate TLS themselves. A name also served over HTTPS by `eds.tls` stays with it; a name two services ask for stays with the one whose containers are older.",
  }),
  tcp_port: label({
    scope: 'service',
    option: 'listener',
    parse: upTo(65535),
    defaultDoc: 'none',
    doc: "A TCP service (a database, MQTT): Envoy gets a listener on this port (LDS, `tcp/<service>`) that proxies every connection to the service's endpoints; within `--tcp-port-range`; a port two services ask for stays with the one that asked first (the other's conflict is in `/status`). Envoy's config must ask for listeners over ADS (`lds_config: {ads: {}}`).",
  }),
} as const;

/** A label's key, e.g. `port`. */
export type LabelKey = keyof typeof LABELS;

/** The keys of the labels that may be set per cluster too (`eds.services.<cluster>.<key>`). */
export type ServiceLabelKey = {
  [K in LabelKey]: (typeof LABELS)[K]['scope'] extends 'service' ? K : never;
}[LabelKey];

/** The value a label's parser gives; of a family, the record of them by name. */
export type LabelValue<K extends LabelKey> =
  (typeof LABELS)[K] extends LabelSpec<infer T>
    ? (typeof LABELS)[K] extends { family: object }
      ? Readonly<Record<string, T>>
      : T
    : never;

/** The keys of the labels that tune a whole service (`LabelSpec.option`). */
export type OptionKey = {
  [K in LabelKey]: (typeof LABELS)[K] extends { option: 'cluster' | 'route' | 'listener' }
    ? K
    : never;
}[LabelKey];

/** The keys of the option labels, in declaration order. */
export const OPTION_KEYS = (Object.keys(LABELS) as LabelKey[]).filter(
  (key): key is OptionKey => 'option' in LABELS[key],
);

/** The keys of one scope, in declaration order. */
export function labelKeys(scope: LabelSpec<unknown>['scope']): LabelKey[] {
  return (Object.keys(LABELS) as LabelKey[]).filter((key) => LABELS[key].scope === scope);
}

/** A label's key as the reference writes it: a family's with `.<name>` after it. */
export function displayKey(key: LabelKey): string {
  return (LABELS[key] as LabelSpec<unknown>).family ? `${key}.<name>` : key;
}

/** The default as the reference states it: `defaultDoc`, else the value in code, else none. */
export function describeLabelDefault(spec: LabelSpec<unknown>): string {
  if (spec.defaultDoc !== undefined) return spec.defaultDoc;
  const value = spec.default;
  if (typeof value === 'number' || typeof value === 'boolean') return code(String(value));
  return typeof value === 'string' && value !== '' ? code(value) : 'none';
}
