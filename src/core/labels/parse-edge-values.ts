import { isIP } from 'node:net';

import { quote } from '../quote.js';
import { fail, ok, type Result } from '../result.js';
import { parseDomains, parseHostName, parsePathRewrite } from './parse-label-values.js';

// The value parsers of the edge-policy labels (authentication, rate limits, IP lists, headers,
// redirects, CORS, sticky sessions): each takes the raw text and the path to name in a problem.

/** Splits a comma-separated list, blanks around commas and empty items dropped. */
function splitList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** A `{SHA}` htpasswd hash: base64 of SHA-1's 20 bytes. */
const SHA_HASH = /^\{SHA\}[A-Za-z0-9+/]{27}=$/;
/** A user name Basic authentication can carry: no `:`, no control character, no blank. */
const BASIC_USER = /^[^\s:\p{Cc}]{1,256}$/u;

/**
 * The users of `eds.auth.basic`: `user:{SHA}<base64>` entries separated by commas, the one
 * htpasswd form Envoy's `basic_auth` filter reads (`htpasswd -s`). A bcrypt (`$2y$`), apr1
 * (`$apr1$`) or crypt entry is refused, saying so. No problem quotes a hash: a message names
 * the entry by its position and user only.
 */
export function parseBasicAuthUsers(value: string, path: string): Result<readonly string[]> {
  const entries = splitList(value);
  if (entries.length === 0)
    return fail([`${path}: expected user:{SHA}<base64> entries separated by commas`]);
  const problems: string[] = [];
  const users = new Map<string, string>();
  entries.forEach((entry, index) => {
    const colon = entry.indexOf(':');
    const user = colon > 0 ? entry.slice(0, colon) : '';
    const hash = entry.slice(colon + 1);
    const which = `entry ${index + 1}${BASIC_USER.test(user) ? ` (user ${quote(user)})` : ''}`;
    if (!BASIC_USER.test(user)) problems.push(`${path}: ${which} has no user name before its :`);
    else if (users.has(user)) problems.push(`${path}: ${which} names a user twice`);
    else if (!SHA_HASH.test(hash))
      problems.push(
        `${path}: ${which} is not a {SHA} hash; Envoy's basic_auth reads only htpasswd's {SHA} form (htpasswd -nbs <user> <password>), not bcrypt, apr1 or crypt`,
      );
    else users.set(user, `${user}:${hash}`);
  });
  if (problems.length > 0) return fail(problems);
  return ok([...users.keys()].sort().map((user) => users.get(user) ?? ''));
}

/** A rate: so many requests per second, minute or hour. */
export interface Rate {
  readonly requests: number;
  readonly per: 's' | 'm' | 'h';
}

const MAX_RATE = 1_000_000;

/** `100/s`, `6000/m`, `10000/h`: at most `requests` per unit, 1 to 1,000,000. */
export function parseRate(value: string, path: string): Result<Rate> {
  const match = /^(\d{1,7})\/(s|m|h)$/.exec(value.trim());
  const requests = Number(match?.[1]);
  if (match && requests >= 1 && requests <= MAX_RATE)
    return ok({ requests, per: match[2] as Rate['per'] });
  return fail([
    `${path}: expected requests per second, minute or hour such as 100/s or 6000/m (1 to ${MAX_RATE}), got ${quote(value)}`,
  ]);
}

/** A CIDR range as Envoy's `CidrRange` takes it. */
export interface Cidr {
  readonly address: string;
  readonly prefixLen: number;
}

/**
 * A comma-separated list of CIDR ranges (`10.0.0.0/8`, `2001:db8::/32`); a bare address is
 * the range of that one address. Duplicates kept once, in the order given.
 */
export function parseCidrs(value: string, path: string): Result<readonly Cidr[]> {
  const items = splitList(value);
  if (items.length === 0)
    return fail([`${path}: expected CIDR ranges such as 10.0.0.0/8 separated by commas`]);
  const problems: string[] = [];
  const ranges = new Map<string, Cidr>();
  for (const item of items) {
    const [address = '', length, extra] = item.split('/');
    const family = isIP(address);
    const max = family === 6 ? 128 : 32;
    const prefixLen = length === undefined ? max : /^\d{1,3}$/.test(length) ? Number(length) : -1;
    if (family === 0 || extra !== undefined || prefixLen < 0 || prefixLen > max)
      problems.push(`${path}: ${quote(item)} is not an IP address or CIDR range`);
    else ranges.set(`${address}/${prefixLen}`, { address, prefixLen });
  }
  return problems.length > 0 ? fail(problems) : ok([...ranges.values()]);
}

/** An HTTP header name (RFC 9110 token), lower-cased. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9a-z]{1,256}$/;
/** Headers a route may not set or remove: Envoy's own and those framing the request. */
const RESERVED_HEADERS = new Set(['host', 'connection', 'transfer-encoding', 'content-length']);

/** A header a label may set or remove: a token, not a pseudo-header, not `host`. */
export function parseHeaderName(value: string, path: string): Result<string> {
  const name = value.trim().toLowerCase();
  if (HEADER_NAME.test(name) && !RESERVED_HEADERS.has(name)) return ok(name);
  return fail([
    `${path}: ${quote(value)} is not a header name a route may change (letters, digits and !#$%&'*+-.^_\`|~; not host, connection, transfer-encoding or content-length)`,
  ]);
}

/** A comma-separated list of header names ({@link parseHeaderName}), each once, sorted. */
export function parseHeaderNames(value: string, path: string): Result<readonly string[]> {
  const items = splitList(value);
  if (items.length === 0) return fail([`${path}: expected header names separated by commas`]);
  const parsed = items.map((item) => parseHeaderName(item, path));
  const problems = parsed.flatMap((result) => (result.ok ? [] : result.problems));
  if (problems.length > 0) return fail(problems);
  return ok([...new Set(parsed.map((result) => (result.ok ? result.value : '')))].sort());
}

const MAX_HEADER_VALUE = 4096;

/**
 * A header value, sent as written: printable text up to 4,096 characters, no line break.
 * Envoy reads `%` in a header value as a command (`%DOWNSTREAM_REMOTE_ADDRESS%`); the route
 * builder escapes it, so a label's value is never one.
 */
export function parseHeaderValue(value: string, path: string): Result<string> {
  if (value.length <= MAX_HEADER_VALUE && !/\p{Cc}/u.test(value.replace(/\t/g, ' ')))
    return ok(value);
  return fail([
    `${path}: expected a header value of at most ${MAX_HEADER_VALUE} characters with no line break or control character`,
  ]);
}

/** Where `eds.redirect` sends a request: the same URL over HTTPS, another host, another path. */
export interface Redirect {
  readonly https?: true;
  readonly host?: string;
  readonly path?: string;
}

/**
 * `https`, `host=<name>`, `path=<prefix>`, or several of them separated by commas
 * (`https,host=www.example.com`): answered `308` by Envoy itself, never reaching a container.
 */
export function parseRedirect(value: string, path: string): Result<Redirect> {
  const items = splitList(value);
  const problems: string[] = [];
  let redirect: { https?: true; host?: string; path?: string } = {};
  for (const item of items) {
    const [key = '', ...rest] = item.split('=');
    const argument = rest.join('=');
    const seen = key in redirect;
    if (item === 'https' && !seen) redirect = { ...redirect, https: true };
    else if (key === 'host' && !seen) {
      const host = parseHostName(argument, path);
      if (host.ok) redirect = { ...redirect, host: host.value };
      else problems.push(...host.problems);
    } else if (key === 'path' && !seen) {
      const target = parsePathRewrite(argument, path);
      if (target.ok) redirect = { ...redirect, path: target.value };
      else problems.push(...target.problems);
    } else problems.push(`${path}: ${quote(item)} is not https, host=<name> or path=<prefix>`);
  }
  if (items.length === 0) problems.push(`${path}: expected https, host=<name> or path=<prefix>`);
  return problems.length > 0 ? fail(problems) : ok(redirect);
}

const ORIGIN = /^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/;

/** Allowed CORS origins: `*`, or `scheme://host[:port]` each, separated by commas. */
export function parseOrigins(value: string, path: string): Result<readonly string[]> {
  const items = splitList(value).map((item) => item.toLowerCase());
  const bad = items.filter((item) => item !== '*' && !ORIGIN.test(item));
  if (items.length > 0 && bad.length === 0) return ok([...new Set(items)]);
  return fail([
    `${path}: expected * or origins such as https://app.example.com separated by commas, got ${quote(value)}`,
  ]);
}

const METHOD = /^[A-Z]{1,32}$/;

/** HTTP methods (`GET,POST`), upper-cased, each once. */
export function parseMethods(value: string, path: string): Result<readonly string[]> {
  const items = splitList(value).map((item) => item.toUpperCase());
  if (items.length > 0 && items.every((item) => METHOD.test(item))) return ok([...new Set(items)]);
  return fail([`${path}: expected HTTP methods such as GET,POST, got ${quote(value)}`]);
}

/** A cookie name (RFC 6265 token). */
export function parseCookieName(value: string, path: string): Result<string> {
  if (/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,128}$/.test(value)) return ok(value);
  return fail([`${path}: expected a cookie name (letters, digits, - _ .), got ${quote(value)}`]);
}

/**
 * Where Envoy asks an auth service or fetches a JWKS: a labelled service (`http://<service>/…`,
 * reached as its own labels say), or a host outside the stack (`https://<host>[:port]/…`).
 */
export type AuthUrl =
  | {
      readonly kind: 'service';
      /** The cluster (the service's name). */
      readonly service: string;
      /** The path, `/` when none. */
      readonly path: string;
    }
  | {
      readonly kind: 'outside';
      /** A DNS name (lower-cased) or an IPv4 address. */
      readonly host: string;
      readonly port: number;
      /** The path, `/` when none. */
      readonly path: string;
    };

const URL_PATH = /(\/[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*)?/.source;
/** `http://<service>/<path>`: a service name (a cluster; one with a `:` cannot be named here), no port, an optional path. */
const SERVICE_URL = new RegExp(`^http://([A-Za-z0-9_.-]{1,255}?)${URL_PATH}$`);
/** `https://<host>[:<port>]/<path>`: a DNS name or an IPv4 address, an optional port and path. */
const OUTSIDE_URL = new RegExp(
  `^https://([A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)(?::(\\d{1,5}))?${URL_PATH}$`,
);

/**
 * A URL of an auth service or a JWKS. `http://<service>/<path>` names a service of the agent
 * (`http://authelia/api/authz/ext-authz`): Envoy asks the cluster of that name, the way its
 * own labels say (its port, its protocol). `https://<host>[:<port>]/<path>` names a host
 * outside the stack (an identity provider's JWKS): Envoy reaches it over TLS verified against
 * `--upstream-ca`, and only when `--auth-hosts` lists it (the serving policy refuses it
 * otherwise). Plain HTTP to an address is refused: keys or an auth answer could be changed on
 * the way.
 */
export function parseAuthUrl(value: string, path: string): Result<AuthUrl> {
  const text = value.trim();
  const service = SERVICE_URL.exec(text);
  if (service?.[1]) return ok({ kind: 'service', service: service[1], path: service[2] ?? '/' });
  const outside = OUTSIDE_URL.exec(text);
  const port = Number(outside?.[2] ?? 443);
  if (outside?.[1] && port >= 1 && port <= 65535)
    return ok({ kind: 'outside', host: outside[1].toLowerCase(), port, path: outside[3] ?? '/' });
  return fail([
    `${path}: expected http://<service>/<path>, <service> the eds.service of the container that answers (no port: its own labels give it), or https://<host>[:<port>]/<path> outside the stack (plain HTTP to an address is refused: what it answers could be changed on the way), got ${quote(value)}`,
  ]);
}

/** A JWT issuer (`iss`), as the tokens carry it: any text without blanks, up to 1,024 characters. */
export function parseIssuer(value: string, path: string): Result<string> {
  if (/^\S{1,1024}$/.test(value)) return ok(value);
  return fail([
    `${path}: expected the issuer the tokens name (their iss claim), got ${quote(value)}`,
  ]);
}

/** Audiences (`aud`) separated by commas, each once, in the order given. */
export function parseAudiences(value: string, path: string): Result<readonly string[]> {
  const items = splitList(value);
  if (items.length > 0 && items.every((item) => item.length <= 1024))
    return ok([...new Set(items)]);
  return fail([`${path}: expected audiences separated by commas, got ${quote(value)}`]);
}

/**
 * TLS server names (SNI) separated by commas: exact names, or `*.<domain>` (a TLS server name
 * has no other wildcard). Lower-cased, each once, sorted.
 */
export function parseServerNames(value: string, path: string): Result<readonly string[]> {
  const parsed = parseDomains(value, path);
  if (!parsed.ok) return parsed;
  const bad = parsed.value.filter(
    (name) =>
      name === '*' ||
      name.endsWith('*') ||
      name.lastIndexOf('*') > 0 ||
      (name.startsWith('*') && !name.startsWith('*.')),
  );
  return bad.length === 0
    ? parsed
    : fail(
        bad.map(
          (name) => `${path}: ${quote(name)} is not a TLS server name: exact names, or *.<domain>`,
        ),
      );
}
