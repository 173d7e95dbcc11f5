import { isIP } from 'node:net';
import { parseArgs } from 'node:util';

import { DEFAULT_ROUTE_CONFIG_NAME } from '../core/build-route-configuration.js';
import { parseClusterName } from '../core/parse-cluster-name.js';
import { fail, ok, type Result } from '../core/result.js';
import {
  FLAGS,
  LOG_FORMATS,
  LOG_LEVELS,
  toEnvName,
  type Config,
  type FlagName,
  type LogFormat,
  type LogLevel,
} from './config.js';
import {
  parseDockerHost,
  resolveDockerEndpoint,
  type EndpointSettings,
} from './parse-docker-host.js';

/**
 * What the command line asks for: run with a config (and warnings to log once the logger
 * exists), or print the help or the version.
 */
export type Invocation =
  | { readonly kind: 'run'; readonly config: Config; readonly warnings: readonly string[] }
  | { readonly kind: 'help' }
  | { readonly kind: 'version' };

const LABEL_PREFIX = /^[a-z0-9]([a-z0-9_-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9_-]*[a-z0-9])?)*$/;

/**
 * Reads flags, then `EDS_AGENT_*` variables, then defaults, and validates every value.
 * Fails with every problem at once, each naming the flag or variable it came from.
 */
export function parseConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Result<Invocation> {
  let flags: Partial<Record<FlagName | 'help' | 'version', string | boolean>>;
  try {
    flags = parseArgs({
      args: attachDashValues(argv),
      options: {
        ...Object.fromEntries(
          FLAGS.map((flag) => [
            flag.name,
            { type: 'boolean' in flag ? ('boolean' as const) : ('string' as const) },
          ]),
        ),
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    return fail([error instanceof Error ? error.message : String(error)]);
  }
  if (flags.help === true) return ok({ kind: 'help' });
  if (flags.version === true) return ok({ kind: 'version' });

  const problems: string[] = [];
  /**
   * The raw value and where it came from, for messages: the flag, else its variable (an empty
   * one counts as unset), else `fallback`, a value with the name of its own source.
   */
  const read = (name: FlagName, fallback: Raw | string): Raw & { given: boolean } => {
    const flag = flags[name];
    if (typeof flag === 'string') return { value: flag, path: `--${name}`, given: true };
    if (flag === true) return { value: 'true', path: `--${name}`, given: true };
    const fromEnv = env[toEnvName(name)];
    if (fromEnv !== undefined && fromEnv !== '')
      return { value: fromEnv, path: toEnvName(name), given: true };
    const other = typeof fallback === 'string' ? undefined : fallback;
    return other
      ? { ...other, given: false }
      : { value: fallback as string, path: `--${name} (default)`, given: false };
  };
  const check = <T>(result: Result<T>, fallback: T): T => {
    if (result.ok) return result.value;
    problems.push(...result.problems);
    return fallback;
  };

  const port = check(parsePort(read('port', '8080')), 0);
  const grpcPortText = read('grpc-port', '18000');
  const grpcPort = grpcPortText.value === 'off' ? undefined : check(parsePort(grpcPortText), 0);
  const bind = check(parseIp(read('bind', '0.0.0.0')), '');
  const dockerHostUrl = read(
    'docker-host',
    env.DOCKER_HOST
      ? { value: env.DOCKER_HOST, path: 'DOCKER_HOST' }
      : 'unix:///var/run/docker.sock',
  );
  const home = env.HOME ?? '';
  const optional = (name: FlagName): string | undefined => {
    const raw = read(name, '');
    return raw.given && raw.value !== '' ? raw.value : undefined;
  };
  /** A switch that Docker's own variable (any non-empty value, as the Docker CLI reads it) can turn on. */
  const dockerSwitch = (name: FlagName, dockerVariable: string): boolean =>
    check(
      parseSwitch(
        read(name, env[dockerVariable] ? { value: 'true', path: dockerVariable } : 'false'),
      ),
      false,
    );
  const settings = {
    tls: dockerSwitch('tls', 'DOCKER_TLS'),
    tlsVerify: dockerSwitch('tlsverify', 'DOCKER_TLS_VERIFY'),
    tlsFiles: Object.fromEntries(
      (['ca', 'cert', 'key'] as const).flatMap((file) => {
        const path = optional(`tls${file === 'ca' ? 'cacert' : file}`);
        return path === undefined ? [] : [[file, path]];
      }),
    ) as EndpointSettings['tlsFiles'],
    certDir: env.DOCKER_CERT_PATH || `${home}/.docker`,
    sshIdentity: optional('ssh-identity'),
    sshKnownHosts: optional('ssh-known-hosts'),
    sshAgentSocket: env.SSH_AUTH_SOCK || undefined,
    user: env.USER || env.LOGNAME || 'root',
    home,
  };
  const hostUrl = check(parseDockerHost(dockerHostUrl.value, dockerHostUrl.path), undefined);
  const dockerHost = hostUrl
    ? check(resolveDockerEndpoint(hostUrl, settings, dockerHostUrl.path), undefined)
    : undefined;
  const labelPrefix = check(parseLabelPrefix(read('label-prefix', 'eds')), '');
  const addressMode = check(parseAddressMode(read('address-mode', 'container')), 'container');
  const hostIp = check(parseIp(read('host-ip', '127.0.0.1')), '');
  const network = read('network', '').value;
  const logLevel = check(parseLogLevel(read('log-level', 'info')), 'info');
  const stateFile = read('state-file', '').value;
  const adminToken = check(parseAdminToken(read('admin-token', ''), env), undefined);
  const readOnly = check(parseSwitch(read('read-only', 'false')), false);
  const protectStatus = check(parseSwitch(read('protect-status', 'false')), false);
  if (protectStatus && adminToken === undefined) {
    problems.push(
      `${read('protect-status', '').path}: protects /status and /metrics with the admin token, so it needs --admin-token (EDS_AGENT_ADMIN_TOKEN)`,
    );
  }
  const metricsClusterLabels = check(parseSwitch(read('metrics-cluster-labels', 'false')), false);
  const logFormatText = read('log-format', '');
  const logFormat = logFormatText.given
    ? check(parseLogFormat(logFormatText), undefined)
    : undefined;
  const routeConfigName = check(
    parseRouteConfigName(read('route-config-name', DEFAULT_ROUTE_CONFIG_NAME)),
    '',
  );

  if (problems.length > 0 || dockerHost === undefined) return fail(problems);
  return ok({
    kind: 'run',
    config: {
      port,
      grpcPort,
      bind,
      dockerHost,
      dockerHostUrl: dockerHostUrl.value,
      address: {
        addressMode,
        hostIp,
        network: network === '' ? undefined : network,
        labelPrefix,
      },
      logLevel,
      stateFile: stateFile === '' ? undefined : stateFile,
      adminToken,
      readOnly,
      routeConfigName,
      protectStatus,
      metricsClusterLabels,
      logFormat,
    },
    warnings: findUnknownVariables(env),
  });
}

/**
 * `--port -1` reaches parseArgs as a flag followed by what looks like another flag, which it
 * refuses with a message about ambiguity. A value that starts with `-` but is no flag of ours
 * is attached (`--port=-1`), so the value's own parser can say what is wrong with it.
 */
function attachDashValues(argv: readonly string[]): string[] {
  const valued = new Set<string>(
    FLAGS.filter((flag) => !('boolean' in flag)).map((flag) => `--${flag.name}`),
  );
  const known = new Set<string>([
    ...FLAGS.map((flag) => `--${flag.name}`),
    '--help',
    '-h',
    '--version',
  ]);
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const next = argv[i + 1];
    if (valued.has(arg) && next?.startsWith('-') === true && !known.has(next.split('=')[0] ?? '')) {
      out.push(`${arg}=${next}`);
      i += 1;
    } else out.push(arg);
  }
  return out;
}

/**
 * One warning per `EDS_AGENT_*` variable that is no flag's, naming the closest one (a typo,
 * usually). `EDS_AGENT_TEST_*` belongs to the test suite (`EDS_AGENT_TEST_ENVOY`).
 */
function findUnknownVariables(env: Readonly<Record<string, string | undefined>>): string[] {
  const known = FLAGS.map((flag) => toEnvName(flag.name));
  return Object.keys(env)
    .filter(
      (name) =>
        name.startsWith('EDS_AGENT_') &&
        !name.startsWith('EDS_AGENT_TEST_') &&
        !known.includes(name),
    )
    .sort()
    .map((name) => {
      const [closest] = [...known].sort((a, b) => editDistance(name, a) - editDistance(name, b));
      const hint =
        closest !== undefined && editDistance(name, closest) <= 3
          ? `; did you mean ${closest}?`
          : '';
      return `${name} is not a setting of eds-agent and is ignored${hint}`;
    });
}

/** Levenshtein distance: the fewest one-character insertions, deletions or changes from a to b. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

type Raw = { value: string; path: string };

function parsePort({ value, path }: Raw): Result<number> {
  const port = /^\d{1,5}$/.test(value) ? Number(value) : NaN;
  return port >= 0 && port <= 65535
    ? ok(port)
    : fail([`${path}: expected a port 0-65535, got ${JSON.stringify(value)}`]);
}

function parseIp({ value, path }: Raw): Result<string> {
  return isIP(value) !== 0
    ? ok(value)
    : fail([
        `${path}: expected an IP address such as 127.0.0.1 or ::1, got ${JSON.stringify(value)}`,
      ]);
}

function parseLabelPrefix({ value, path }: Raw): Result<string> {
  return LABEL_PREFIX.test(value)
    ? ok(value)
    : fail([
        `${path}: expected lowercase dot-separated words such as eds or com.example.eds, got ${JSON.stringify(value)}`,
      ]);
}

function parseAddressMode({ value, path }: Raw): Result<'container' | 'host'> {
  return value === 'container' || value === 'host'
    ? ok(value)
    : fail([`${path}: expected container or host, got ${JSON.stringify(value)}`]);
}

function parseLogFormat({ value, path }: Raw): Result<LogFormat> {
  const format = LOG_FORMATS.find((candidate) => candidate === value);
  return format !== undefined
    ? ok(format)
    : fail([`${path}: expected one of ${LOG_FORMATS.join(', ')}, got ${JSON.stringify(value)}`]);
}

function parseLogLevel({ value, path }: Raw): Result<LogLevel> {
  const level = LOG_LEVELS.find((candidate) => candidate === value);
  return level !== undefined
    ? ok(level)
    : fail([`${path}: expected one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(value)}`]);
}

/**
 * An admin token must not be empty or blank: `--admin-token ""` (or an empty variable set on
 * purpose) would otherwise leave the registration API open while looking protected.
 */
function parseAdminToken(
  raw: Raw & { given: boolean },
  env: Readonly<Record<string, string | undefined>>,
): Result<string | undefined> {
  const setButEmpty = !raw.given && env[toEnvName('admin-token')] !== undefined;
  if (setButEmpty || (raw.given && raw.value.trim() === '')) {
    const path = raw.given ? raw.path : toEnvName('admin-token');
    return fail([
      `${path}: an admin token must not be empty; leave it unset to run without one (and see --read-only)`,
    ]);
  }
  return ok(raw.given ? raw.value : undefined);
}

/** A cluster name's characters, so that it can never be one of the per-service `grpc/<service>` names. */
function parseRouteConfigName({ value, path }: Raw): Result<string> {
  return parseClusterName(value, path).ok
    ? ok(value)
    : fail([
        `${path}: expected a name of 1-255 of A-Z a-z 0-9 _ . : - (starting with a letter, digit or _), got ${JSON.stringify(value)}`,
      ]);
}

function parseSwitch({ value, path }: Raw): Result<boolean> {
  const lower = value.toLowerCase();
  if (lower === 'true' || lower === '1') return ok(true);
  if (lower === 'false' || lower === '0') return ok(false);
  return fail([`${path}: expected true or false, got ${JSON.stringify(value)}`]);
}
