import fc from 'fast-check';

import type { OptionKey } from '../../src/core/labels/labels.js';

const count = (min: number, max: number) => fc.integer({ min, max }).map(String);

/**
 * Valid text for each edge-policy label, as a user would write it. A family's
 * (`headers.*.set`) is `<name>=<value>`, the label `<key>.<name>` (see `toEdsLabels`).
 */
export const EDGE_LABEL_VALUES = {
  // htpasswd -nbs alice secret; -nbs bob '%x' (a hash only: Envoy never sees a password).
  'auth.basic': fc.constantFrom(
    'alice:{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=',
    'alice:{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=, bob:{SHA}99ca1qKTxzn9s4D343Yb+czxkzs=',
  ),
  // Outside hosts on loopback only: Envoy resolves them (no DNS query leaves the machine).
  'auth.forward': fc.constantFrom(
    'http://auth/verify',
    'http://authelia/api/authz/ext-authz/',
    'https://localhost:9443/verify',
  ),
  'auth.forward.headers': fc.constantFrom('remote-user', 'remote-user,remote-groups'),
  'auth.jwt.issuer': fc.constantFrom('https://idp.test', 'issuer-1'),
  'auth.jwt.jwks': fc.constantFrom(
    'http://idp/.well-known/jwks.json',
    'http://keys',
    'https://127.0.0.1:9443/.well-known/jwks.json',
  ),
  'auth.jwt.audiences': fc.constantFrom('api', 'api,web'),
  ratelimit: fc.constantFrom('1/s', '100/s', '6000/m', '1000000/h'),
  'ratelimit.burst': count(1, 1_000_000_000),
  sticky: fc.constantFrom('cookie', 'COOKIE'),
  'sticky.name': fc.constantFrom('eds_sticky', 'SESSION-id'),
  'sticky.ttl': fc.constantFrom('0s', '30m', '24h'),
  allow_ips: fc.constantFrom('127.0.0.1', '10.0.0.0/8,192.168.0.0/16', '::1,2001:db8::/32'),
  deny_ips: fc.constantFrom('127.0.0.2', '0.0.0.0/0', 'fe80::/10'),
  // A family: `<name>=<value>`, set as the label `<key>.<name>` (see toEdsLabels).
  'headers.request.set': fc.constantFrom('x-env=prod', 'X-Percent=100%DOWNSTREAM_REMOTE_ADDRESS%'),
  'headers.request.remove': fc.constantFrom('cookie', 'x-a,x-b'),
  'headers.response.set': fc.constantFrom(
    'x-frame-options=DENY',
    'cache-control=no-store, max-age=0',
  ),
  'headers.response.remove': fc.constantFrom('server', 'x-powered-by,server'),
  redirect: fc.constantFrom(
    'https',
    'host=www.example.com',
    'path=/new',
    'https,host=a.test,path=/',
  ),
  'cors.origins': fc.constantFrom('*', 'https://app.test', 'https://a.test,http://b.test:8080'),
  'cors.methods': fc.constantFrom('GET', 'get,post,DELETE'),
  'cors.headers': fc.constantFrom('authorization', 'x-a,content-type'),
  'cors.credentials': fc.constantFrom('true', 'false'),
  compress: fc.constantFrom('true', 'false'),
  tcp_sni: fc.constantFrom('db.test', 'a.test,b.test', 'mqtt.example.com'),
} satisfies { [K in OptionKey]?: fc.Arbitrary<string> };

/** The keys of label families: their drawn `<name>=<value>` is the label `<key>.<name>`. */
const FAMILY_KEYS: ReadonlySet<string> = new Set(['headers.request.set', 'headers.response.set']);

/** Drawn label values by key as a container's labels, under `eds.`. */
export function toEdsLabels(drawn: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(drawn).map(([key, value]) => {
      if (!FAMILY_KEYS.has(key)) return [`eds.${key}`, value];
      const [name, ...rest] = value.split('=');
      return [`eds.${key}.${name ?? ''}`, rest.join('=')];
    }),
  );
}
