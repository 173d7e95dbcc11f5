import { isIP } from 'node:net';

import { isObject } from '../is-object.js';
import { MAX_WEIGHT } from '../labels/labels.js';
import { quote } from '../quote.js';
import { fail, ok, type Result } from '../result.js';
import { ENDPOINT_TAGS, type RegisteredHost, type TagValue, toHostKey } from './registered-host.js';

const HOST_FIELDS = ['ip_address', 'port', 'tags', 'ttl_seconds'];
const MAX_TTL_SECONDS = 86_400;

/**
 * Parses a service body, `{"hosts": [{"ip_address", "port", "tags"?, "ttl_seconds"?}, ...]}`.
 * Every field is checked and every problem reported by its path
 * (`hosts[2].port: expected an integer 1-65535, got 0`). `now` stamps TTL expiry.
 */
export function parseHostsBody(body: unknown, now: number): Result<RegisteredHost[]> {
  if (!isObject(body)) return fail([`body: expected {"hosts": [...]}, got ${describe(body)}`]);
  const problems: string[] = [];
  for (const key of Object.keys(body))
    if (key !== 'hosts') problems.push(`${key}: unknown field; expected only "hosts"`);
  if (!Array.isArray(body.hosts)) {
    problems.push(`hosts: expected an array of hosts, got ${describe(body.hosts)}`);
    return fail(problems);
  }
  const hosts: RegisteredHost[] = [];
  const seen = new Map<string, number>();
  body.hosts.forEach((value: unknown, index) => {
    const path = `hosts[${index}]`;
    const host = parseHostJson(value, path, now);
    if (!host.ok) {
      problems.push(...host.problems);
      return;
    }
    const key = toHostKey(host.value);
    const first = seen.get(key);
    if (first !== undefined) problems.push(`${path}: duplicates hosts[${first}] (${key})`);
    seen.set(key, index);
    hosts.push(host.value);
  });
  return problems.length > 0 ? fail(problems) : ok(hosts);
}

/** Parses one host object of a service body. */
export function parseHostJson(value: unknown, path: string, now: number): Result<RegisteredHost> {
  if (!isObject(value)) return fail([`${path}: expected a host object, got ${describe(value)}`]);
  const problems: string[] = [];
  for (const key of Object.keys(value)) {
    if (!HOST_FIELDS.includes(key))
      problems.push(`${path}.${key}: unknown field; expected ${HOST_FIELDS.join(', ')}`);
  }
  const ipAddress = checkIp(value.ip_address, `${path}.ip_address`, problems);
  const port = checkInteger(value.port, `${path}.port`, 1, 65535, problems);
  const rest = parseHostOptions(value, path, now);
  if (!rest.ok) problems.push(...rest.problems);
  if (problems.length > 0 || !rest.ok) return fail(problems);
  return ok({ ipAddress, port, ...rest.value });
}

/**
 * Parses the body of `PUT /edsservice/<svc>/hosts/<ip>:<port>`: optional `tags` and
 * `ttl_seconds` (the address comes from the path). An absent body means no tags, no TTL.
 */
export function parseHostUpdate(
  body: unknown,
  ipAddress: string,
  port: number,
  now: number,
): Result<RegisteredHost> {
  if (body === undefined)
    return ok({ ipAddress, port, tags: {}, ttlSeconds: undefined, expiresAt: undefined });
  if (!isObject(body))
    return fail([`body: expected {"tags"?: {...}, "ttl_seconds"?: n}, got ${describe(body)}`]);
  const problems = Object.keys(body)
    .filter((key) => key !== 'tags' && key !== 'ttl_seconds')
    .map((key) => `${key}: unknown field; expected tags, ttl_seconds (the address is in the path)`);
  const rest = parseHostOptions(body, 'body', now);
  if (!rest.ok) problems.push(...rest.problems.map((p) => p.replace(/^body\./, '')));
  if (problems.length > 0 || !rest.ok) return fail(problems);
  return ok({ ipAddress, port, ...rest.value });
}

/** Parses the `<ip>:<port>` of a per-host URL (`[v6]:port` for IPv6). */
export function parseHostKey(key: string): Result<{ ipAddress: string; port: number }> {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(key);
  const ipAddress = match?.[1] ?? match?.[2] ?? '';
  const port = Number(match?.[3]);
  if (isIP(ipAddress) === 0 || !(port >= 1 && port <= 65535)) {
    return fail([`path: expected <ip>:<port> (or [<ipv6>]:<port>), got ${quote(key)}`]);
  }
  return ok({ ipAddress, port });
}

function parseHostOptions(
  value: Record<string, unknown>,
  path: string,
  now: number,
): Result<Pick<RegisteredHost, 'tags' | 'ttlSeconds' | 'expiresAt'>> {
  const problems: string[] = [];
  const tags = parseTags(value.tags, `${path}.tags`, problems);
  const ttlSeconds =
    value.ttl_seconds === undefined
      ? undefined
      : checkInteger(value.ttl_seconds, `${path}.ttl_seconds`, 1, MAX_TTL_SECONDS, problems);
  if (problems.length > 0) return fail(problems);
  return ok({
    tags,
    ttlSeconds,
    expiresAt: ttlSeconds === undefined ? undefined : now + ttlSeconds * 1000,
  });
}

/** Tags Envoy understands are checked; others are kept if they are plain values. */
function parseTags(value: unknown, path: string, problems: string[]): Record<string, TagValue> {
  if (value === undefined) return {};
  if (!isObject(value)) {
    problems.push(`${path}: expected an object, got ${describe(value)}`);
    return {};
  }
  // Built from entries, never by assignment: a tag named `__proto__` stays a tag.
  const tags: [string, TagValue][] = [];
  for (const [key, tag] of Object.entries(value)) {
    const tagPath = `${path}.${key}`;
    if (
      key === ENDPOINT_TAGS.zone ||
      key === ENDPOINT_TAGS.region ||
      key === ENDPOINT_TAGS.subZone
    ) {
      if (typeof tag !== 'string')
        problems.push(`${tagPath}: expected a string, got ${describe(tag)}`);
    } else if (key === ENDPOINT_TAGS.canary) {
      if (typeof tag !== 'boolean')
        problems.push(`${tagPath}: expected true or false, got ${describe(tag)}`);
    } else if (key === ENDPOINT_TAGS.weight) {
      checkInteger(tag, tagPath, 1, MAX_WEIGHT, problems);
    } else if (typeof tag !== 'string' && typeof tag !== 'number' && typeof tag !== 'boolean') {
      problems.push(`${tagPath}: expected a string, number or boolean, got ${describe(tag)}`);
    }
    if (typeof tag === 'string' || typeof tag === 'number' || typeof tag === 'boolean')
      tags.push([key, tag]);
  }
  return Object.fromEntries(tags);
}

function checkIp(value: unknown, path: string, problems: string[]): string {
  if (typeof value === 'string' && isIP(value) !== 0) return value;
  problems.push(`${path}: expected an IP address (v4 or v6), got ${describe(value)}`);
  return '';
}

function checkInteger(
  value: unknown,
  path: string,
  min: number,
  max: number,
  problems: string[],
): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max)
    return value;
  problems.push(`${path}: expected an integer ${min}-${max}, got ${describe(value)}`);
  return 0;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object' && value !== null) return 'an object';
  return typeof value === 'string' ? quote(value) : JSON.stringify(value);
}
