import { isIP } from 'node:net';

import type { FrontDoorSettings, ListenAddress } from '../core/front-door/front-door-settings.js';
import { type ContainerConstraint, parseConstraint } from '../core/labels/container-constraint.js';
import { HOUR_MS, parseDurationMs } from '../core/labels/parse-label-values.js';
import { parseClusterName } from '../core/parse-cluster-name.js';
import { type Cidr, parseCidr } from '../core/registrations/address-ranges.js';
import { fail, ok, type Result } from '../core/result.js';
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from './config.js';
import { type DockerHostUrl, parseDockerHost } from './parse-docker-host.js';
import { toEnvName } from './to-env-name.js';

// The value parsers of the flags: each takes the raw text and where it came from, to name in
// a problem (`--port`, `EDS_AGENT_PORT`, `DOCKER_HOST`, `--port (default)`).

/** The environment, as `process.env` gives it. */
export type Env = Readonly<Record<string, string | undefined>>;

/** A raw value and where it came from. */
export interface Raw {
  readonly value: string;
  readonly path: string;
}

/** A flag's raw value: `given` when the flag or its own variable set it, not its default. */
export interface RawFlag extends Raw {
  readonly given: boolean;
}

/** RFC 6750's `b64token`: the only tokens `Authorization: Bearer <token>` can carry. */
const BEARER_TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/** A DNS name, or `*.` and one. */
const HOST_NAME =
  /^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/;

const LABEL_PREFIX = /^[a-z0-9]([a-z0-9_-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9_-]*[a-z0-9])?)*$/;

export function parsePort({ value, path }: Raw): Result<number> {
  const port = /^\d{1,5}$/.test(value) ? Number(value) : NaN;
  return port >= 0 && port <= 65535
    ? ok(port)
    : fail([`${path}: expected a port 0-65535, got ${JSON.stringify(value)}`]);
}

/** A whole number from 1 to 1,000,000 (a count of streams or names). */
export function parseCount({ value, path }: Raw): Result<number> {
  const count = /^\d{1,7}$/.test(value) ? Number(value) : NaN;
  return count >= 1 && count <= 1_000_000
    ? ok(count)
    : fail([`${path}: expected a whole number from 1 to 1000000, got ${JSON.stringify(value)}`]);
}

/** How many proxies in front of Envoy are trusted (`--trusted-hops`): 0 to 10. */
export function parseTrustedHops({ value, path }: Raw): Result<number> {
  const hops = /^\d{1,2}$/.test(value) ? Number(value) : NaN;
  return hops >= 0 && hops <= 10
    ? ok(hops)
    : fail([`${path}: expected a number of proxies from 0 to 10, got ${JSON.stringify(value)}`]);
}

/** A port, or `off`: undefined. */
export function parseGrpcPort(raw: Raw): Result<number | undefined> {
  return raw.value === 'off' ? ok(undefined) : parsePort(raw);
}

export function parseIp({ value, path }: Raw): Result<string> {
  return isIP(value) !== 0
    ? ok(value)
    : fail([
        `${path}: expected an IP address such as 127.0.0.1 or ::1, got ${JSON.stringify(value)}`,
      ]);
}

export function parseLabelPrefix({ value, path }: Raw): Result<string> {
  return LABEL_PREFIX.test(value)
    ? ok(value)
    : fail([
        `${path}: expected lowercase dot-separated words such as eds or com.example.eds, got ${JSON.stringify(value)}`,
      ]);
}

/** `auto`, `on` or `off`: whether the agent follows the engine's Swarm. */
export function parseSwarmMode({ value, path }: Raw): Result<SwarmModeFlag> {
  return value === 'auto' || value === 'on' || value === 'off'
    ? ok(value)
    : fail([`${path}: expected auto, on or off, got ${JSON.stringify(value)}`]);
}

export type SwarmModeFlag = 'auto' | 'on' | 'off';

/** A duration (`250ms`, `1.5s`, `5m`, `1h`), from 100 ms to 1 hour, as labels take them; in milliseconds. */
export function parseInterval({ value, path }: Raw): Result<number> {
  return parseDurationMs(value, path, 100, HOUR_MS);
}

/** `0` (none), or a duration from 100 ms to 1 hour. */
export function parseGrace(raw: Raw): Result<number> {
  return raw.value === '0' ? ok(0) : parseInterval(raw);
}

export function parseAddressMode({ value, path }: Raw): Result<'container' | 'host'> {
  return value === 'container' || value === 'host'
    ? ok(value)
    : fail([`${path}: expected container or host, got ${JSON.stringify(value)}`]);
}

/** Undefined unless given: then the agent chooses by whether stdout is a terminal. */
export function parseLogFormat({ value, path, given }: RawFlag): Result<LogFormat | undefined> {
  if (!given) return ok(undefined);
  const format = LOG_FORMATS.find((candidate) => candidate === value);
  return format !== undefined
    ? ok(format)
    : fail([`${path}: expected one of ${LOG_FORMATS.join(', ')}, got ${JSON.stringify(value)}`]);
}

export function parseLogLevel({ value, path }: Raw): Result<LogLevel> {
  const level = LOG_LEVELS.find((candidate) => candidate === value);
  return level !== undefined
    ? ok(level)
    : fail([`${path}: expected one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(value)}`]);
}

/** Any text; empty is unset. */
export function parseOptionalText({ value }: Raw): Result<string | undefined> {
  return ok(value === '' ? undefined : value);
}

/**
 * An admin token must not be empty or blank: `--admin-token ""` (or an empty variable set on
 * purpose) would otherwise leave the registration API open while looking protected. It must
 * also be sendable: a bearer token's characters only, so no token locks everyone out.
 */
export function parseAdminToken(raw: RawFlag, env: Env): Result<string | undefined> {
  const setButEmpty = !raw.given && env[toEnvName('admin-token')] !== undefined;
  if (setButEmpty || (raw.given && raw.value.trim() === '')) {
    const path = raw.given ? raw.path : toEnvName('admin-token');
    return fail([
      `${path}: an admin token must not be empty; leave it unset to run without one (and see --read-only)`,
    ]);
  }
  if (!raw.given) return ok(undefined);
  return checkTokenText(raw.value, raw.path);
}

/** A token as `Authorization: Bearer` can carry it. */
export function checkTokenText(token: string, path: string): Result<string> {
  return BEARER_TOKEN.test(token)
    ? ok(token)
    : fail([
        `${path}: an admin token may hold only letters, digits and -._~+/ (then = padding), as a bearer token is sent; ${token.length} characters given, not all of them such`,
      ]);
}

/** `<min>-<max>`: ports from 1 to 65535, the first not above the second. */
export function parsePortRange({ value, path }: Raw): Result<{ min: number; max: number }> {
  const [min, max] = (/^(\d{1,5})-(\d{1,5})$/.exec(value) ?? []).slice(1).map(Number);
  return min !== undefined && max !== undefined && min >= 1 && min <= max && max <= 65535
    ? ok({ min, max })
    : fail([`${path}: expected a port range such as 10000-10999, got ${JSON.stringify(value)}`]);
}

/** Host names, comma-separated: `name.example.com` or `*.example.com`. */
export function parseHostNames({ value, path }: Raw): Result<string[]> {
  const names = value
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  const bad = names.filter((name) => !HOST_NAME.test(name));
  return bad.length > 0
    ? fail(
        bad.map(
          (name) =>
            `${path}: expected a host name such as eds.example.com or *.example.com, got ${JSON.stringify(name)}`,
        ),
      )
    : ok(names.map((name) => name.toLowerCase()));
}

/** Address ranges, comma-separated (a repeated flag is joined with commas); none when empty. */
export function parseCidrList({ value, path }: Raw): Result<Cidr[]> {
  const parts = value.split(',').filter((part) => part.trim() !== '');
  const parsed = parts.map((part) => parseCidr(part));
  const problems = parsed.flatMap((result) => (result.ok ? [] : result.problems));
  return problems.length > 0
    ? fail(problems.map((problem) => `${path}: ${problem}`))
    : ok(parsed.flatMap((result) => (result.ok ? [result.value] : [])));
}

/** Every `--constraint` given (comma-separated, or the flag repeated), each parsed. */
export function parseConstraints({ value, path }: Raw): Result<ContainerConstraint[]> {
  const parsed = value
    .split(',')
    .filter((part) => part.trim() !== '')
    .map((part) => parseConstraint(part));
  const problems = parsed.flatMap((result) => (result.ok ? [] : result.problems));
  return problems.length > 0
    ? fail(problems.map((problem) => `${path}: ${problem}`))
    : ok(parsed.flatMap((result) => (result.ok ? [result.value] : [])));
}

/** A cluster name's characters, so that it can never be one of the per-service `grpc/<service>` names. */
export function parseRouteConfigName({ value, path }: Raw): Result<string> {
  return parseClusterName(value, path).ok
    ? ok(value)
    : fail([
        `${path}: expected a name of 1-255 of A-Z a-z 0-9 _ . : - (starting with a letter, digit or _), got ${JSON.stringify(value)}`,
      ]);
}

export function parseSwitch({ value, path }: Raw): Result<boolean> {
  const lower = value.toLowerCase();
  if (lower === 'true' || lower === '1') return ok(true);
  if (lower === 'false' || lower === '0') return ok(false);
  return fail([`${path}: expected true or false, got ${JSON.stringify(value)}`]);
}

/**
 * One engine of `--docker-host`: its name, its URL, the text as given (query stripped) and
 * where it came from, and the settings its query gives (`?tlsverify&host-ip=10.0.0.5`), by
 * the name of the flag they stand in for; `parseConfig` checks and resolves those.
 */
export interface DockerHostFlag {
  readonly name: string;
  readonly url: DockerHostUrl;
  readonly text: string;
  readonly path: string;
  readonly settings: ReadonlyMap<string, string>;
}

/** An engine's name: a locality zone, a metrics label value and a status heading. */
const ENGINE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

/**
 * Parses `--docker-host`: one engine, or several separated by commas (the flag may also be
 * repeated). Each is `[name=]url[?setting=value&...]`, the URL as `parseDockerHost` reads it.
 * An unnamed engine is named by its host (`tcp://`, `ssh://`), or by its socket's file name
 * without `.sock` (`unix:///var/run/docker.sock` is `docker`). Names must differ.
 */
export function parseDockerHostFlag({ value, path }: Raw): Result<DockerHostFlag[]> {
  const problems: string[] = [];
  const engines: DockerHostFlag[] = [];
  const items = value.split(',').map((item) => item.trim());
  if (items.every((item) => item === '')) return fail([`${path}: expected at least one engine`]);
  for (const item of items.filter((item) => item !== '')) {
    const named = /^([^:/?=]+)=(.*)$/.exec(item);
    const [text = '', query] = (named?.[2] ?? item).split(/\?(.*)/s, 2);
    const url = parseDockerHost(text, path);
    if (!url.ok) {
      problems.push(...url.problems);
      continue;
    }
    const name = named?.[1] ?? defaultEngineName(url.value);
    if (!ENGINE_NAME.test(name)) {
      problems.push(
        `${path}: ${JSON.stringify(name)} cannot name an engine (1-63 of A-Z a-z 0-9 _ . -, starting with a letter or digit); name it, as <name>=${text}`,
      );
      continue;
    }
    if (engines.some((engine) => engine.name === name)) {
      problems.push(
        `${path}: two engines are named ${JSON.stringify(name)}; name each, as <name>=${text}`,
      );
      continue;
    }
    const settings = new Map<string, string>();
    for (const [key, setting] of new URLSearchParams(query ?? '')) settings.set(key, setting);
    engines.push({ name, url: url.value, text, path, settings });
  }
  return problems.length > 0 ? fail(problems) : ok(engines);
}

function defaultEngineName(url: DockerHostUrl): string {
  if (url.kind !== 'unix') return url.host;
  return (url.path.split('/').pop() ?? '').replace(/\.sock$/, '');
}

/** The names `--listen` takes, each once. */
const LISTENER_KINDS = ['http', 'https'] as const;

/**
 * `http=80,https=443`, each port optionally after an address (`127.0.0.1:8443`,
 * `[::1]:8443`; `0.0.0.0` when none): the front door's listeners. Empty: none.
 */
export function parseListen({ value, path }: Raw): Result<FrontDoorSettings | undefined> {
  if (value === '') return ok(undefined);
  const settings: { http?: ListenAddress; https?: ListenAddress } = {};
  const problems: string[] = [];
  for (const part of value.split(',')) {
    const [kind = '', at = ''] = part.split(/=(.*)/s);
    const match = /^(?:\[([^\]]+)\]:|([^:[\]]+):)?(\d{1,5})$/.exec(at);
    const address = match?.[1] ?? match?.[2] ?? '0.0.0.0';
    const port = Number(match?.[3] ?? NaN);
    if (!(LISTENER_KINDS as readonly string[]).includes(kind)) {
      problems.push(`${path}: expected http=<port> or https=<port>, got ${JSON.stringify(part)}`);
    } else if (settings[kind as 'http' | 'https'] !== undefined) {
      problems.push(`${path}: ${kind} is given twice`);
    } else if (!match || isIP(address) === 0 || port < 1 || port > 65535) {
      problems.push(
        `${path}: expected ${kind}=[<IP address>:]<port 1-65535>, got ${JSON.stringify(part)}`,
      );
    } else {
      settings[kind as 'http' | 'https'] = { address, port };
    }
  }
  const { http, https } = settings;
  if (http && https && http.port === https.port && http.address === https.address)
    problems.push(`${path}: http and https cannot share ${http.address}:${http.port}`);
  return problems.length > 0 ? fail(problems) : ok(settings);
}

/**
 * A host name or IP address and a port: `eds-agent:18000`, `127.0.0.1:9901`, `[::1]:9901`;
 * port 0 (any free one) only where `anyPort` allows it.
 */
export function parseHostPort(
  { value, path }: Raw,
  anyPort = false,
): Result<{ host: string; port: number }> {
  const match = /^(?:\[([^\]]+)\]|([A-Za-z0-9._-]+)):(\d{1,5})$/.exec(value);
  const host = match?.[1] ?? match?.[2] ?? '';
  const port = Number(match?.[3] ?? NaN);
  const lowest = anyPort ? 0 : 1;
  const valid =
    match && (match[1] === undefined || isIP(host) === 6) && port >= lowest && port <= 65535;
  return valid
    ? ok({ host, port })
    : fail([
        `${path}: expected <host>:<port> such as eds-agent:18000, got ${JSON.stringify(value)}`,
      ]);
}

/** {@link parseHostPort}, or undefined when empty. */
export function parseOptionalHostPort(
  raw: Raw,
): Result<{ host: string; port: number } | undefined> {
  return raw.value === '' ? ok(undefined) : parseHostPort(raw);
}

/** The directories `--acme-directory` names by a short name. */
export const ACME_DIRECTORIES: Readonly<Record<string, string>> = {
  letsencrypt: 'https://acme-v02.api.letsencrypt.org/directory',
  'letsencrypt-staging': 'https://acme-staging-v02.api.letsencrypt.org/directory',
};

/** An ACME directory: one of `ACME_DIRECTORIES`' names, or an `https://` URL. */
export function parseAcmeDirectory({ value, path }: Raw): Result<string> {
  const named = ACME_DIRECTORIES[value];
  if (named !== undefined) return ok(named);
  return URL.canParse(value) && new URL(value).protocol === 'https:'
    ? ok(value)
    : fail([
        `${path}: expected letsencrypt, letsencrypt-staging or an https:// directory URL, got ${JSON.stringify(value)}`,
      ]);
}
