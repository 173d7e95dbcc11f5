import { isIP } from 'node:net';
import { parseArgs } from 'node:util';

import { fail, ok, type Result } from '../core/result.js';
import {
  FLAGS,
  LOG_LEVELS,
  toEnvName,
  type Config,
  type FlagName,
  type LogLevel,
} from './config.js';
import { parseDockerHost } from './parse-docker-host.js';

/** What the command line asks for: run with a config, or print the help. */
export type Invocation =
  { readonly kind: 'run'; readonly config: Config } | { readonly kind: 'help' };

const LABEL_PREFIX = /^[a-z0-9]([a-z0-9_-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9_-]*[a-z0-9])?)*$/;

/**
 * Reads flags, then `EDS_AGENT_*` variables, then defaults, and validates every value.
 * Fails with every problem at once, each naming the flag or variable it came from.
 */
export function parseConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Result<Invocation> {
  let flags: Partial<Record<FlagName | 'help', string | boolean>>;
  try {
    flags = parseArgs({
      args: [...argv],
      options: {
        ...Object.fromEntries(
          FLAGS.map((flag) => [
            flag.name,
            { type: 'boolean' in flag ? ('boolean' as const) : ('string' as const) },
          ]),
        ),
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    return fail([error instanceof Error ? error.message : String(error)]);
  }
  if (flags.help === true) return ok({ kind: 'help' });

  const problems: string[] = [];
  /** The raw value and where it came from, for messages. */
  const read = (name: FlagName, fallback: string): { value: string; path: string } => {
    const flag = flags[name];
    if (typeof flag === 'string') return { value: flag, path: `--${name}` };
    if (flag === true) return { value: 'true', path: `--${name}` };
    const fromEnv = env[toEnvName(name)];
    if (fromEnv !== undefined && fromEnv !== '') return { value: fromEnv, path: toEnvName(name) };
    return { value: fallback, path: `--${name} (default)` };
  };
  const check = <T>(result: Result<T>, fallback: T): T => {
    if (result.ok) return result.value;
    problems.push(...result.problems);
    return fallback;
  };

  const port = check(parsePort(read('port', '8080')), 0);
  const bind = check(parseIp(read('bind', '0.0.0.0')), '');
  const dockerHostUrl = read('docker-host', env.DOCKER_HOST || 'unix:///var/run/docker.sock');
  const dockerHost = check(parseDockerHost(dockerHostUrl.value, dockerHostUrl.path), {
    kind: 'unix',
    path: '',
  } as const);
  const labelPrefix = check(parseLabelPrefix(read('label-prefix', 'eds')), '');
  const addressMode = check(parseAddressMode(read('address-mode', 'container')), 'container');
  const hostIp = check(parseIp(read('host-ip', '127.0.0.1')), '');
  const network = read('network', '').value;
  const logLevel = check(parseLogLevel(read('log-level', 'info')), 'info');
  const stateFile = read('state-file', '').value;
  const adminToken = read('admin-token', '').value;
  const readOnly = check(parseSwitch(read('read-only', 'false')), false);

  if (problems.length > 0) return fail(problems);
  return ok({
    kind: 'run',
    config: {
      port,
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
      adminToken: adminToken === '' ? undefined : adminToken,
      readOnly,
    },
  });
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

function parseLogLevel({ value, path }: Raw): Result<LogLevel> {
  const level = LOG_LEVELS.find((candidate) => candidate === value);
  return level !== undefined
    ? ok(level)
    : fail([`${path}: expected one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(value)}`]);
}

function parseSwitch({ value, path }: Raw): Result<boolean> {
  const lower = value.toLowerCase();
  if (lower === 'true' || lower === '1') return ok(true);
  if (lower === 'false' || lower === '0') return ok(false);
  return fail([`${path}: expected true or false, got ${JSON.stringify(value)}`]);
}
