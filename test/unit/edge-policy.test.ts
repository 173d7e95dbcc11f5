import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

import { parseConfig } from '../../src/config/parse-config.js';
import {
  authHttpFilters,
  forwardAuthFilterName,
  JWT_FILTER,
  jwtRequirementName,
} from '../../src/core/envoy/auth-filters.js';
import { buildRouteConfiguration } from '../../src/core/envoy/build-route-configuration.js';
import { EDGE_FILTERS, edgeHttpFilters } from '../../src/core/envoy/edge-filters.js';
import {
  buildHttpListener,
  buildHttpsListener,
} from '../../src/core/front-door/build-front-listeners.js';
import { resolveServiceOptions } from '../../src/core/index/resolve-service-options.js';
import { applyClusterEndpoints, toAwaitingSnapshot } from '../../src/core/index/snapshot.js';
import {
  DEFAULT_SERVING_POLICY,
  findPolicyProblems,
} from '../../src/core/labels/check-serving-policy.js';
import { parseServiceLabels } from '../../src/core/labels/parse-service-labels.js';
import type { ServiceOptions } from '../../src/core/labels/service-options.js';
import { toContainerEndpoints } from '../../src/core/labels/to-container-endpoints.js';
import { CLUSTER_TYPE_URL, LISTENER_TYPE_URL } from '../../src/core/type-urls.js';
import { toResourceChanges } from '../../src/transports/grpc/create-xds-resources.js';
import { aContainer, anEndpoint } from '../support/records.js';
import { REPO_ROOT } from '../support/repo-files.js';
import { served } from '../support/served-json.js';

// Edge policy by label: what each label turns on in the route of its service, that a service
// without any is routed exactly as before, and that a password hash is never in a message.

/** `htpasswd -nbs alice secret` and `htpasswd -nbs bob hunter2`. */
const ALICE = 'alice:{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=';
const BOB = 'bob:{SHA}8Bc2tuJ6LZi7yNUh5PdyPsqNk/s=';

function parse(labels: Record<string, string>) {
  return parseServiceLabels({ 'eds.service': 'web', ...labels }, 'eds');
}
function optionsOf(labels: Record<string, string>): ServiceOptions {
  const parsed = parse(labels);
  if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
  return parsed.value[0]?.serviceOptions ?? {};
}
const problemsOf = (labels: Record<string, string>) => {
  const parsed = parse(labels);
  return parsed.ok ? [] : parsed.problems;
};
/** The route of service `web` with `labels`, as Envoy is served it. */
const routeOf = (labels: Record<string, string>) =>
  served(
    buildRouteConfiguration('eds-agent', [{ service: 'web', options: optionsOf(labels) }]).json
      .virtual_hosts[0]?.routes[0],
  ) as unknown as Record<string, unknown> & {
    typed_per_filter_config?: Record<string, { config: Record<string, unknown> }>;
  };
const filterOf = (labels: Record<string, string>, filter: string) =>
  routeOf(labels).typed_per_filter_config?.[filter]?.config;

describe('a service without edge labels', () => {
  it('gets byte for byte the route it got before these labels existed', () => {
    const routes = buildRouteConfiguration('eds-agent', [
      { service: 'web', options: optionsOf({}) },
      { service: 'api', options: optionsOf({ 'eds.tls': 'true', 'eds.tls.hsts': '300' }) },
    ]).json;
    expect(JSON.stringify(routes)).toBe(
      JSON.stringify({
        name: 'eds-agent',
        virtual_hosts: [
          {
            name: 'api',
            domains: ['api', 'api.localhost'],
            routes: [
              {
                name: 'api',
                match: { prefix: '/' },
                route: { cluster: 'api' },
                response_headers_to_add: [
                  {
                    header: { key: 'strict-transport-security', value: 'max-age=300' },
                    append_action: 'OVERWRITE_IF_EXISTS_OR_ADD',
                  },
                ],
              },
            ],
            retry_policy: routes.virtual_hosts[0]?.retry_policy,
          },
          {
            name: 'web',
            domains: ['web', 'web.localhost'],
            routes: [{ name: 'web', match: { prefix: '/' }, route: { cluster: 'web' } }],
            retry_policy: routes.virtual_hosts[1]?.retry_policy,
          },
        ],
        ignore_port_in_host_matching: true,
      }),
    );
  });

  it('passes through a chain whose edge filters are all off until a route turns one on', () => {
    const filters = edgeHttpFilters();
    expect(filters.map((filter) => filter.name)).toEqual([
      EDGE_FILTERS.cors,
      EDGE_FILTERS.rbac,
      EDGE_FILTERS.rateLimit,
      EDGE_FILTERS.headerMutation,
      EDGE_FILTERS.basicAuth,
      EDGE_FILTERS.sticky,
      EDGE_FILTERS.brotli,
      EDGE_FILTERS.gzip,
      'envoy.filters.http.router',
    ]);
    expect(filters.slice(0, -1).every((filter) => filter.disabled === true)).toBe(true);
    expect(filters.at(-1)?.disabled).toBeUndefined();
  });

  it('is the chain docs/edge-policy.md gives a hand-written listener', () => {
    const doc = readFileSync(join(REPO_ROOT, 'docs/edge-policy.md'), 'utf8');
    const block = /```yaml\n(http_filters:[\s\S]*?)```/.exec(doc)?.[1] ?? '';
    expect((parseYaml(block) as { http_filters: unknown }).http_filters).toEqual(edgeHttpFilters());
  });
});

describe('a bad edge label', () => {
  const decide = (labels: Record<string, string>) =>
    toContainerEndpoints(
      aContainer({ labels: { 'eds.service': 'web', 'eds.port': '8080', ...labels } }),
      {
        addressMode: 'container',
        hostIp: '127.0.0.1',
        network: undefined,
        labelPrefix: 'eds',
      },
    );

  it('of CORS, compression or sticky sessions is dropped with one warning, the rest of the container served with its other labels', () => {
    const decided = decide({
      'eds.compress': 'yes',
      'eds.cors.origins': 'https://app.test',
      'eds.cors.credentials': 'maybe',
      'eds.ratelimit': '5/s',
    });
    if (decided.kind !== 'served') throw new Error(`not served: ${JSON.stringify(decided)}`);
    expect(decided.notes).toEqual([
      {
        level: 'warn',
        message:
          'labels["eds.cors.credentials"]: expected true or false, got "maybe" (label ignored: the container is served without it)',
      },
      {
        level: 'warn',
        message:
          'labels["eds.compress"]: expected true or false, got "yes" (label ignored: the container is served without it)',
      },
    ]);
    const options = decided.endpoints[0]?.serviceOptions;
    expect(options).toMatchObject({
      'cors.origins': ['https://app.test'],
      ratelimit: { requests: 5 },
    });
    expect(options).not.toHaveProperty('compress');
    expect(options).not.toHaveProperty('cors.credentials');
  });

  it('that guards (auth, IP lists, rate limit, redirect, headers) refuses the container: a typo never serves it open', () => {
    for (const labels of [
      { 'eds.auth.basic': 'alice:$2y$05$bcrypt' },
      { 'eds.allow_ips': '10.0.0.0/33' },
      { 'eds.deny_ips': 'somewhere' },
      { 'eds.ratelimit': 'fast' },
      { 'eds.redirect': 'htps' },
      { 'eds.headers.request.remove': 'bad header' },
      { 'eds.auth.forward': 'ftp://auth/' },
    ]) {
      expect(decide(labels).kind, JSON.stringify(labels)).toBe('invalid');
    }
  });
});

describe('eds.auth.basic', () => {
  it("turns on Basic authentication with the service's users, sorted", () => {
    expect(filterOf({ 'eds.auth.basic': `${BOB}, ${ALICE}` }, EDGE_FILTERS.basicAuth)).toEqual({
      '@type': 'type.googleapis.com/envoy.extensions.filters.http.basic_auth.v3.BasicAuthPerRoute',
      users: { inline_string: `${ALICE}\n${BOB}` },
    });
  });

  it('refuses bcrypt and apr1 entries, saying Envoy reads {SHA} only, and never quotes a hash', () => {
    const bcrypt = 'carol:$2y$05$c4WoMPo3SXsafkva.HHa6uXQZWr7oboPiC2bT/r7q1BB8I2s0BRqC';
    const apr1 = 'dave:$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/';
    const problems = problemsOf({ 'eds.auth.basic': `${ALICE},${bcrypt},${apr1}` });
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/entry 2 \(user "carol"\) is not a \{SHA\} hash.*htpasswd -nbs/);
    expect(problems.join()).not.toMatch(/c4WoMPo3|HqJZimc|5en6G6Me/);
  });

  it('keeps the hashes out of the conflict two containers of a service disagree on', () => {
    // The attack: a container labelled with other hashes would have them logged.
    const endpoints = [ALICE, ALICE, BOB].map((users, i) =>
      anEndpoint({
        hostname: `web-${i}`,
        serviceOptions: optionsOf({ 'eds.auth.basic': users }),
      }),
    );
    const { options, conflicts } = resolveServiceOptions(endpoints);
    expect(options['auth.basic']).toEqual([ALICE]);
    expect(conflicts).toHaveLength(1);
    expect(conflicts[0]?.message).toBe(
      'auth.basic (hidden value 2) is not used: the containers of this service disagree ((hidden value 1) on 2, (hidden value 2) on 1); using (hidden value 1)',
    );
  });
});

describe('eds.auth.forward and eds.auth.jwt.*', () => {
  const forward = { 'eds.auth.forward': 'http://authelia/api/authz/ext-authz/' };
  const jwt = { 'eds.auth.jwt.issuer': 'https://idp.test', 'eds.auth.jwt.jwks': 'http://idp/jwks' };

  it('give the chain one ext_authz per distinct setting and one jwt_authn, only when a service asks', () => {
    expect(authHttpFilters([optionsOf({}), optionsOf({ 'eds.ratelimit': '1/s' })])).toEqual([]);
    const filters = authHttpFilters([optionsOf(forward), optionsOf(forward), optionsOf(jwt)]);
    expect(filters.map((filter) => filter.name)).toEqual([
      forwardAuthFilterName(optionsOf(forward)),
      JWT_FILTER,
    ]);
    expect(filters[0]?.typed_config).toMatchObject({
      http_service: {
        server_uri: { uri: 'http://authelia/api/authz/ext-authz/', cluster: 'authelia' },
        path_prefix: '/api/authz/ext-authz',
      },
    });
    expect(filters.every((filter) => filter.disabled === true)).toBe(true);
  });

  it("turn them on in the service's route, by the names the chain gives them", () => {
    const options = optionsOf({ ...forward, ...jwt });
    const route = routeOf({ ...forward, ...jwt });
    expect(Object.keys(route.typed_per_filter_config ?? {})).toEqual([
      forwardAuthFilterName(options),
      JWT_FILTER,
    ]);
    expect(route.typed_per_filter_config?.[JWT_FILTER]?.config).toMatchObject({
      requirement_name: jwtRequirementName(options),
    });
    // The headers the auth service vouches for: the client's own copies removed first.
    const vouched = routeOf({ ...forward, 'eds.auth.forward.headers': 'Remote-User' });
    expect(vouched.typed_per_filter_config?.[EDGE_FILTERS.headerMutation]?.config).toEqual({
      '@type':
        'type.googleapis.com/envoy.extensions.filters.http.header_mutation.v3.HeaderMutationPerRoute',
      mutations: { request_mutations: [{ remove: 'remote-user' }] },
    });
  });

  it('answer a valid token of another audience 401, as any token the service does not take, and leave other 403s alone', () => {
    const managerOf = (auth: ReturnType<typeof authHttpFilters>) =>
      buildHttpListener({ http: { address: '0.0.0.0', port: 80 } }, 'front/http', auth)
        .filter_chains[0]?.filters[0].typed_config;
    expect(managerOf(authHttpFilters([optionsOf(forward)]))).not.toHaveProperty(
      'local_reply_config',
    );
    expect(managerOf(authHttpFilters([optionsOf(jwt)]))).toMatchObject({
      local_reply_config: {
        mappers: [
          {
            status_code: 401,
            filter: {
              extension_filter: {
                typed_config: {
                  expression: expect.stringContaining(
                    "response.code == 403 && response.code_details == 'jwt_authn_access_denied{Audiences_in_Jwt_are_not_allowed}'",
                  ) as unknown,
                },
              },
            },
          },
        ],
      },
    });
  });

  it('name a service, or a host outside the stack over HTTPS: plain HTTP to an address and other schemes are refused', () => {
    expect(problemsOf({ 'eds.auth.forward': 'http://10.0.0.1:9091/verify' })).toHaveLength(1);
    expect(problemsOf({ 'eds.auth.jwt.jwks': 'ftp://idp.example.com/jwks' })).toHaveLength(1);
    expect(
      optionsOf({ 'eds.auth.jwt.jwks': 'https://IdP.example.com/.well-known/jwks.json' }),
    ).toEqual({
      'auth.jwt.jwks': {
        kind: 'outside',
        host: 'idp.example.com',
        port: 443,
        path: '/.well-known/jwks.json',
      },
    });
  });

  it('reach a host outside the stack only when --auth-hosts lists it, by a cluster of its own, over TLS verified against --upstream-ca', () => {
    const outside = {
      'eds.auth.jwt.issuer': 'https://idp.example.com',
      'eds.auth.jwt.jwks': 'https://idp.example.com/.well-known/jwks.json',
      'eds.auth.forward': 'https://10.1.2.3:9443/verify',
    };
    const parsed = parse(outside);
    if (!parsed.ok) throw new Error(parsed.problems.join());
    // By default no label makes Envoy reach a host of its choosing.
    expect(findPolicyProblems(parsed.value, DEFAULT_SERVING_POLICY, 'eds')).toEqual([
      'eds.auth.forward of web: 10.1.2.3 is outside the stack and not in --auth-hosts: a label makes Envoy reach only the hosts the operator lists',
      'eds.auth.jwt.jwks of web: idp.example.com is outside the stack and not in --auth-hosts: a label makes Envoy reach only the hosts the operator lists',
    ]);
    const listed = { ...DEFAULT_SERVING_POLICY, authHosts: ['*.example.com'] };
    expect(findPolicyProblems(parsed.value, listed, 'eds')).toEqual([
      'eds.auth.forward of web: 10.1.2.3 is outside the stack and not in --auth-hosts (*.example.com): a label makes Envoy reach only the hosts the operator lists',
      'eds.auth.jwt.jwks of web: a host outside the stack is reached over TLS verified against --upstream-ca, and there is none (give the CA bundle that signed its certificate, e.g. /etc/ssl/certs/ca-certificates.crt)',
    ]);
    const policy = { ...DEFAULT_SERVING_POLICY, authHosts: ['*'], upstreamCa: true };
    expect(findPolicyProblems(parsed.value, policy, 'eds')).toEqual([]);

    const front = (upstreamCa?: string) =>
      applyClusterEndpoints(
        toAwaitingSnapshot([], {
          frontDoor: { http: { address: '0.0.0.0', port: 80 } },
          ...(upstreamCa ? { upstreamCa } : {}),
        }),
        [['web', [anEndpoint({ cluster: 'web', serviceOptions: optionsOf(outside) })]]],
      );
    const { snapshot, change } = front('CA PEM');
    expect(change.outside).toEqual(['outside/10.1.2.3:9443', 'outside/idp.example.com:443']);
    const clusters = snapshot.frontDoor?.outside;
    expect(clusters?.get('outside/idp.example.com:443')?.json).toMatchObject({
      type: 'LOGICAL_DNS',
      load_assignment: {
        endpoints: [
          {
            lb_endpoints: [
              {
                endpoint: {
                  address: { socket_address: { address: 'idp.example.com', port_value: 443 } },
                },
              },
            ],
          },
        ],
      },
      transport_socket: {
        typed_config: {
          sni: 'idp.example.com',
          common_tls_context: {
            validation_context: {
              trusted_ca: { inline_string: 'CA PEM' },
              match_typed_subject_alt_names: [
                { san_type: 'DNS', matcher: { exact: 'idp.example.com' } },
              ],
            },
          },
        },
      },
    });
    // An address is matched as one, and is no server name.
    const byAddress = clusters?.get('outside/10.1.2.3:9443')?.json.transport_socket.typed_config;
    expect(byAddress).not.toHaveProperty('sni');
    expect(byAddress?.common_tls_context.validation_context.match_typed_subject_alt_names).toEqual([
      { san_type: 'IP_ADDRESS', matcher: { exact: '10.1.2.3' } },
    ]);
    // The filters name those clusters, and the full URL.
    const chain = authHttpFilters([optionsOf(outside)]);
    expect(chain.find((filter) => filter.name === JWT_FILTER)?.typed_config).toMatchObject({
      providers: {
        [jwtRequirementName(optionsOf(outside)) ?? '']: {
          remote_jwks: {
            http_uri: {
              uri: 'https://idp.example.com:443/.well-known/jwks.json',
              cluster: 'outside/idp.example.com:443',
            },
          },
        },
      },
    });
    expect(chain[0]?.typed_config).toMatchObject({
      http_service: {
        server_uri: { uri: 'https://10.1.2.3:9443/verify', cluster: 'outside/10.1.2.3:9443' },
      },
    });
    // Without a CA there is no cluster: the service is refused, never reached unverified.
    expect(front().snapshot.frontDoor?.outside.size).toBe(0);
    // Gone with the last service that names it: the listener that names it is pushed first.
    const gone = applyClusterEndpoints(snapshot, [['web', []]]);
    expect(gone.change.outside).toEqual(['outside/10.1.2.3:9443', 'outside/idp.example.com:443']);
    const order = toResourceChanges(gone.change, gone.snapshot).map(([typeUrl]) => typeUrl);
    expect(order.indexOf(LISTENER_TYPE_URL)).toBeLessThan(order.indexOf(CLUSTER_TYPE_URL));
  });

  it('refuse to serve a service whose JWT issuer has no keys, rather than serve it open', () => {
    const parsed = parse({ 'eds.auth.jwt.issuer': 'https://idp.test' });
    if (!parsed.ok) throw new Error(parsed.problems.join());
    expect(findPolicyProblems(parsed.value, DEFAULT_SERVING_POLICY, 'eds')).toEqual([
      'eds.auth.jwt of web: eds.auth.jwt.issuer and eds.auth.jwt.jwks go together: one without the other cannot check a token, and the service is not served open instead',
    ]);
  });
});

describe('eds.ratelimit', () => {
  it('is a token bucket of the rate, refilled each second, minute or hour, with x-ratelimit headers', () => {
    expect(filterOf({ 'eds.ratelimit': '6000/m' }, EDGE_FILTERS.rateLimit)).toMatchObject({
      token_bucket: { max_tokens: 6000, tokens_per_fill: 6000, fill_interval: '60s' },
      enable_x_ratelimit_headers: 'DRAFT_VERSION_03',
      filter_enforced: { default_value: { numerator: 100, denominator: 'HUNDRED' } },
    });
    expect(
      filterOf({ 'eds.ratelimit': '10/s', 'eds.ratelimit.burst': '50' }, EDGE_FILTERS.rateLimit),
    ).toMatchObject({ token_bucket: { max_tokens: 50, tokens_per_fill: 10, fill_interval: '1s' } });
  });

  it('refuses a rate without a unit', () => {
    expect(problemsOf({ 'eds.ratelimit': '100' })).toEqual([
      'labels["eds.ratelimit"]: expected requests per second, minute or hour such as 100/s or 6000/m (1 to 1000000), got "100"',
    ]);
  });
});

describe('eds.allow_ips and eds.deny_ips', () => {
  const principals = (labels: Record<string, string>) =>
    (
      filterOf(labels, EDGE_FILTERS.rbac) as {
        rbac: { rules: { policies: Record<string, { principals: unknown[] }> } };
      }
    ).rbac.rules.policies['ips/web']?.principals;

  it('allow the listed ranges, a bare address being its own range', () => {
    expect(principals({ 'eds.allow_ips': '127.0.0.1, 10.0.0.0/8' })).toEqual([
      {
        or_ids: {
          ids: [
            { remote_ip: { address_prefix: '127.0.0.1', prefix_len: 32 } },
            { remote_ip: { address_prefix: '10.0.0.0', prefix_len: 8 } },
          ],
        },
      },
    ]);
  });

  it('together, allow a client in an allowed range and in no denied one', () => {
    expect(principals({ 'eds.allow_ips': '10.0.0.0/8', 'eds.deny_ips': '10.0.0.7' })).toEqual([
      {
        and_ids: {
          ids: [
            { or_ids: { ids: [{ remote_ip: { address_prefix: '10.0.0.0', prefix_len: 8 } }] } },
            {
              not_id: {
                or_ids: { ids: [{ remote_ip: { address_prefix: '10.0.0.7', prefix_len: 32 } }] },
              },
            },
          ],
        },
      },
    ]);
  });

  it('refuse what is no range', () => {
    expect(problemsOf({ 'eds.deny_ips': '10.0.0.0/33,::1/129,example.com' })).toHaveLength(3);
  });
});

describe('eds.headers.*', () => {
  it('sets and removes headers, one label per header set, a % sent as written', () => {
    const route = routeOf({
      'eds.headers.request.set.X-Env': 'prod',
      'eds.headers.request.set.x-client': '%DOWNSTREAM_REMOTE_ADDRESS%',
      'eds.headers.request.remove': 'cookie,X-Debug',
      'eds.headers.response.set.x-frame-options': 'DENY',
      'eds.headers.response.remove': 'server',
    });
    const set = (key: string, value: string) => ({
      header: { key, value },
      append_action: 'OVERWRITE_IF_EXISTS_OR_ADD',
    });
    expect(route.request_headers_to_add).toEqual([
      set('x-client', '%%DOWNSTREAM_REMOTE_ADDRESS%%'),
      set('x-env', 'prod'),
    ]);
    expect(route.request_headers_to_remove).toEqual(['cookie', 'x-debug']);
    expect(route.response_headers_to_add).toEqual([set('x-frame-options', 'DENY')]);
    expect(route.response_headers_to_remove).toEqual(['server']);
  });

  it("take a cluster's own header over the top-level one of the same name", () => {
    const parsed = parseServiceLabels(
      {
        'eds.services.api.port': '80',
        'eds.services.web.port': '80',
        'eds.headers.request.set.x-env': 'prod',
        'eds.services.api.headers.request.set.X-Env': 'staging',
      },
      'eds',
    );
    if (!parsed.ok) throw new Error(parsed.problems.join());
    expect(parsed.value.map((binding) => binding.serviceOptions?.['headers.request.set'])).toEqual([
      { 'x-env': 'staging' },
      { 'x-env': 'prod' },
    ]);
  });

  it('refuse host, a pseudo-header, a line break, and a family label with no name', () => {
    expect(
      problemsOf({
        'eds.headers.request.set.host': 'evil.test',
        'eds.headers.request.remove': ':authority',
        'eds.headers.response.set.x-a': 'one\r\nset-cookie: x=1',
        'eds.headers.request.set.': 'x',
      }),
    ).toHaveLength(4);
  });
});

describe('eds.redirect', () => {
  it('answers 308 itself: to HTTPS, another host, another path prefix', () => {
    expect(routeOf({ 'eds.redirect': 'https,host=www.example.com,path=/new' })).toEqual({
      name: 'web',
      match: { prefix: '/' },
      redirect: {
        https_redirect: true,
        host_redirect: 'www.example.com',
        regex_rewrite: { pattern: { regex: '^/?' }, substitution: '/new/' },
        response_code: 'PERMANENT_REDIRECT',
      },
    });
    expect(problemsOf({ 'eds.redirect': 'ftp' })).toHaveLength(1);
  });
});

describe('eds.cors.*, eds.sticky, eds.compress', () => {
  it('turn on CORS with the origins, methods, headers and credentials labelled', () => {
    expect(
      filterOf(
        {
          'eds.cors.origins': 'https://app.test,*',
          'eds.cors.methods': 'get,put',
          'eds.cors.headers': 'Authorization',
          'eds.cors.credentials': 'true',
        },
        EDGE_FILTERS.cors,
      ),
    ).toEqual({
      '@type': 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy',
      allow_origin_string_match: [{ exact: 'https://app.test' }, { safe_regex: { regex: '.*' } }],
      allow_methods: 'GET,PUT',
      allow_headers: 'authorization',
      allow_credentials: true,
    });
  });

  it('keep a client on its container by a cookie, which falls back to balancing when it is gone', () => {
    const config = filterOf(
      { 'eds.sticky': 'cookie', 'eds.sticky.name': 'SID', 'eds.sticky.ttl': '30m' },
      EDGE_FILTERS.sticky,
    );
    expect(config).toEqual({
      '@type':
        'type.googleapis.com/envoy.extensions.filters.http.stateful_session.v3.StatefulSessionPerRoute',
      stateful_session: {
        session_state: {
          name: 'envoy.http.stateful_session.cookie',
          typed_config: {
            '@type':
              'type.googleapis.com/envoy.extensions.http.stateful_session.cookie.v3.CookieBasedSessionState',
            cookie: { name: 'SID', path: '/', ttl: '1800.000s' },
          },
        },
      },
    });
  });

  it('compress with brotli and gzip both on, and nothing at all with compress=false', () => {
    const filters = Object.keys(routeOf({ 'eds.compress': 'true' }).typed_per_filter_config ?? {});
    expect(filters).toEqual([EDGE_FILTERS.brotli, EDGE_FILTERS.gzip]);
    expect(routeOf({ 'eds.compress': 'false' }).typed_per_filter_config).toBeUndefined();
  });
});

describe('the front door behind a load balancer', () => {
  const settings = {
    http: { address: '0.0.0.0', port: 80 },
    https: { address: '0.0.0.0', port: 443 },
    trustedHops: 2,
    proxyProtocol: true,
  };

  it('trusts --trusted-hops X-Forwarded-For entries and reads the PROXY header first', () => {
    const http = buildHttpListener(settings, 'front/http');
    const https = buildHttpsListener(settings, ['web.test'], 'eds-agent');
    for (const listener of [http, https]) {
      expect(listener.listener_filters?.[0]?.name).toBe('envoy.filters.listener.proxy_protocol');
      expect(listener.filter_chains[0]?.filters[0].typed_config).toMatchObject({
        xff_num_trusted_hops: 2,
      });
    }
    expect(https.listener_filters?.map((filter) => filter.name)).toEqual([
      'envoy.filters.listener.proxy_protocol',
      'envoy.filters.listener.tls_inspector',
    ]);
  });

  it('has neither without the flags', () => {
    const http = buildHttpListener({ http: settings.http }, 'front/http');
    expect(http.listener_filters).toBeUndefined();
    expect(http.filter_chains[0]?.filters[0].typed_config).not.toHaveProperty(
      'xff_num_trusted_hops',
    );
  });

  it('are flags of the front door only', () => {
    const parsed = parseConfig(['--trusted-hops', '1', '--proxy-protocol'], {});
    expect(parsed.ok ? [] : parsed.problems).toEqual([
      '--trusted-hops: only with --listen (the front door)',
      '--proxy-protocol: only with --listen (the front door)',
    ]);
    const front = parseConfig(
      ['--listen', 'http=80', '--trusted-hops', '1', '--proxy-protocol'],
      {},
    );
    expect(
      front.ok && front.value.kind === 'run' ? front.value.config.frontDoor : undefined,
    ).toEqual({ http: { address: '0.0.0.0', port: 80 }, trustedHops: 1, proxyProtocol: true });
  });
});
