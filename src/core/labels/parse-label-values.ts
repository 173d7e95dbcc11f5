import { Duration } from '../duration.js';
import { quote } from '../quote.js';
import { fail, ok, type Result } from '../result.js';
import { RETRY_CONDITIONS } from './option-values.js';

// The value parsers of the labels: each takes the raw text and the path to name in a problem.

/** A plain decimal integer from `min` to `max`. */
export function parseInteger(
  value: string,
  path: string,
  min: number,
  max: number,
): Result<number> {
  const number = /^\d{1,10}$/.test(value) ? Number(value) : NaN;
  if (number >= min && number <= max) return ok(number);
  return fail([`${path}: expected an integer ${min}-${max}, got ${quote(value)}`]);
}

/** `true` or `false`, in any case. */
export function parseBoolean(value: string, path: string): Result<boolean> {
  const lower = value.toLowerCase();
  if (lower === 'true') return ok(true);
  if (lower === 'false') return ok(false);
  return fail([`${path}: expected true or false, got ${quote(value)}`]);
}

/** Any text, as given (a locality's region, zone or sub-zone). */
export function parseText(value: string): Result<string> {
  return ok(value);
}

/** Any non-blank name; whether the network exists is the container's business. */
export function parseNetworkName(value: string, path: string): Result<string> {
  if (value.trim() !== '') return ok(value);
  return fail([`${path}: expected a Docker network name, got an empty value`]);
}

/** One of `choices`, in any case (`round_robin` is `ROUND_ROBIN`; `GRPC` is `grpc`). */
export function parseChoice<T extends string>(
  choices: readonly T[],
  value: string,
  path: string,
): Result<T> {
  const lower = value.toLowerCase();
  const choice = choices.find((name) => name.toLowerCase() === lower);
  return choice !== undefined
    ? ok(choice)
    : fail([
        `${path}: expected one of ${choices.map((name) => name.toLowerCase()).join(', ')}, got ${quote(value)}`,
      ]);
}

/** An hour in milliseconds: the longest of most duration labels. */
export const HOUR_MS = 3_600_000;
/** Milliseconds per unit of a duration label. */
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: HOUR_MS };

/**
 * A duration such as `250ms`, `2s`, `1.5s`, `5m` or `1h` (up to 3 decimals, none for `ms`),
 * from `minMs` to `maxMs`, in milliseconds. Labels and flags take durations this one way.
 */
export function parseDurationMs(
  value: string,
  path: string,
  minMs: number,
  maxMs: number,
): Result<number> {
  const match = /^(\d{1,7})(?:\.(\d{1,3}))?(ms|s|m|h)$/.exec(value);
  const unit = UNIT_MS[match?.[3] ?? ''] ?? NaN;
  const fraction = match?.[2];
  const ms =
    match && !(unit === 1 && fraction !== undefined)
      ? ((Number(match[1]) * 1000 + Number((fraction ?? '').padEnd(3, '0'))) * unit) / 1000
      : NaN;
  return Number.isInteger(ms) && ms >= minMs && ms <= maxMs
    ? ok(ms)
    : fail([
        `${path}: expected a duration from ${formatMs(minMs)} to ${formatMs(maxMs)} (e.g. 250ms, 2s, 1.5s, 5m), got ${quote(value)}`,
      ]);
}

/** {@link parseDurationMs}, as the seconds and nanoseconds Envoy reads (`"0.250s"` in JSON). */
export function parseDuration(
  value: string,
  path: string,
  minMs: number,
  maxMs: number,
): Result<Duration> {
  const parsed = parseDurationMs(value, path, minMs, maxMs);
  return parsed.ok ? ok(Duration.ofMs(parsed.value)) : parsed;
}

function formatMs(ms: number): string {
  if (ms >= HOUR_MS && ms % HOUR_MS === 0) return `${ms / HOUR_MS}h`;
  return ms % 1000 === 0 && ms > 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/**
 * A comma-separated list of Envoy's retry conditions (`x-envoy-retry-on` and
 * `x-envoy-retry-grpc-on`), each once, in the order given.
 */
export function parseRetryOn(value: string, path: string): Result<string> {
  const conditions = [
    ...new Set(
      value
        .split(',')
        .map((item) => item.trim().toLowerCase())
        .filter((item) => item !== ''),
    ),
  ];
  const unknown = conditions.filter(
    (condition) => !(RETRY_CONDITIONS as readonly string[]).includes(condition),
  );
  if (conditions.length === 0 || unknown.length > 0)
    return fail([
      `${path}: expected retry conditions separated by commas, among ${RETRY_CONDITIONS.join(', ')}; got ${quote(value)}`,
    ]);
  return ok(conditions.join(','));
}

const HOST_LABEL = '[a-z0-9]([a-z0-9_-]*[a-z0-9])?';
const HOST_NAME = new RegExp(`^${HOST_LABEL}(\\.${HOST_LABEL})*$`);
/** What may stand beside a wildcard: `*.example.com`, `*-prod.example.com`, `api.*`, `api-*`. */
const WILDCARD_PART = /^[a-z0-9_.-]+$/;
const MAX_DOMAIN_LENGTH = 253;

/**
 * A comma-separated list of host names a service answers at, as Envoy matches a virtual host's
 * `domains`: exact names, one leading or trailing `*` (`*.example.com`, `api.*`), or `*` alone
 * for any host. Lower-cased (Envoy compares host names without case), blanks around commas
 * ignored, duplicates kept once, sorted. No port: the agent's route configuration ignores the
 * port of the Host header, so a domain with one could never match.
 */
export function parseDomains(value: string, path: string): Result<readonly string[]> {
  const domains = value
    .split(',')
    .map((domain) => domain.trim().toLowerCase())
    .filter((domain) => domain !== '');
  if (domains.length === 0)
    return fail([
      `${path}: expected one or more host names separated by commas, got ${quote(value)}`,
    ]);
  const problems = domains
    .filter((domain) => !isDomain(domain))
    .map(
      (domain) =>
        `${path}: ${quote(domain)} is not a host name (letters, digits, - _ . and at most one * at the start or the end, no port)`,
    );
  return problems.length > 0 ? fail(problems) : ok([...new Set(domains)].sort());
}

function isDomain(domain: string): boolean {
  if (domain.length > MAX_DOMAIN_LENGTH) return false;
  if (domain === '*') return true;
  if (domain.startsWith('*')) return WILDCARD_PART.test(domain.slice(1));
  if (domain.endsWith('*')) return WILDCARD_PART.test(domain.slice(0, -1));
  return HOST_NAME.test(domain);
}

/** Path characters of RFC 3986 (`pchar`), segment by segment. */
const PATH = /^(\/[A-Za-z0-9\-._~!$&'()*+,;=:@%]+)*\/?$/;
const QUERY = /^[A-Za-z0-9\-._~!$&'()*+,;=:@%/?]*$/;
const MAX_PATH_LENGTH = 1024;
const PATH_PROBLEM = 'a path starting with / (such as /api), with no fragment or spaces';

function isPath(value: string): boolean {
  return value.startsWith('/') && value.length <= MAX_PATH_LENGTH && PATH.test(value);
}

/**
 * The path prefix a service's route matches: `/` (everything), or `/api`, which matches `/api`
 * and everything under `/api/` but not `/apiary`. A trailing `/` is dropped (`/api/` is `/api`).
 */
export function parsePathPrefix(value: string, path: string): Result<string> {
  if (isPath(value))
    return ok(value.length > 1 && value.endsWith('/') ? value.slice(0, -1) : value);
  return fail([`${path}: expected ${PATH_PROBLEM} and no query, got ${quote(value)}`]);
}

/** What replaces the matched path prefix (`/`, `/v2/`): a path, kept exactly as given. */
export function parsePathRewrite(value: string, path: string): Result<string> {
  if (isPath(value)) return ok(value);
  return fail([`${path}: expected ${PATH_PROBLEM} and no query, got ${quote(value)}`]);
}

/** The path an HTTP health check asks for: a path, optionally with a query (`/health?full=1`). */
export function parseRequestPath(value: string, path: string): Result<string> {
  const [pathPart = '', query] = value.split(/\?(.*)/s, 2);
  if (isPath(pathPart) && (query === undefined || QUERY.test(query))) return ok(value);
  return fail([`${path}: expected ${PATH_PROBLEM}, got ${quote(value)}`]);
}

/** One host name (letters, digits, `-`, `_`, dots; no wildcard, no port), lower-cased. */
export function parseHostName(value: string, path: string): Result<string> {
  const name = value.trim().toLowerCase();
  return name.length <= MAX_DOMAIN_LENGTH && HOST_NAME.test(name)
    ? ok(name)
    : fail([`${path}: expected a host name such as api.internal, got ${quote(value)}`]);
}
