import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';

import { findClosest } from '../core/find-closest.js';
import type { BootstrapSettings } from '../core/front-door/build-bootstrap.js';
import { fail, ok, type Result } from '../core/result.js';
import type { AcmeSettings, Config, EngineConfig, TlsSettings } from './config.js';
import {
  ENGINE_SETTINGS,
  type EngineSetting,
  type FlagName,
  FLAGS,
  type FlagSpec,
  type FlagValue,
} from './flags.js';
import { DEFAULT_GRPC_LIMITS } from './grpc-limits.js';
import { type EndpointSettings, resolveDockerEndpoint } from './parse-docker-host.js';
import {
  checkTokenText,
  type DockerHostFlag,
  type Env,
  type Raw,
  type RawFlag,
} from './parse-flag-values.js';
import { GRPC_TLS_FLAGS, HTTP_TLS_FLAGS, pairTlsFlags } from './tls-files.js';
import { toEnvName } from './to-env-name.js';

/**
 * What the command line asks for: run with a config (and warnings to log once the logger
 * exists), or print the help or the version.
 */
export type Invocation =
  | { readonly kind: 'run'; readonly config: Config; readonly warnings: readonly string[] }
  | { readonly kind: 'bootstrap'; readonly bootstrap: BootstrapSettings }
  | { readonly kind: 'help' }
  | { readonly kind: 'version' };

/** Every flag's value, as its parser gave it. */
type FlagValues = { readonly [K in FlagName]: FlagValue<K> };

/**
 * Reads flags, then `EDS_AGENT_*` variables, then defaults, and validates every value.
 * Fails with every problem at once, each naming the flag or variable it came from.
 */
export function parseConfig(argv: readonly string[], env: Env): Result<Invocation> {
  // `eds-agent bootstrap <flags>`: the same flags, describing the agent Envoy is to reach.
  const bootstrap = argv[0] === 'bootstrap';
  const read = readArgs(bootstrap ? argv.slice(1) : argv);
  if (!read.ok) return read;
  const given = read.value;
  if (given.help === true) return ok({ kind: 'help' });
  if (given.version === true) return ok({ kind: 'version' });

  const problems: string[] = [];
  const raws = new Map(flagNames().map((name) => [name, readRaw(name, given[name], env)]));
  const values = Object.fromEntries(
    flagNames().map((name) => {
      const parsed = FLAGS[name].parse(raws.get(name) as RawFlag, env);
      if (!parsed.ok) problems.push(...parsed.problems);
      return [name, parsed.ok ? parsed.value : undefined];
    }),
  ) as FlagValues;

  const hostFlag = values['docker-host'] as FlagValue<'docker-host'> | undefined;
  const engines = hostFlag && resolveEngines(hostFlag, values, env);
  if (engines && !engines.ok) problems.push(...engines.problems);
  const grpcTls = pairTlsFlags(
    values['grpc-tls-cert'],
    values['grpc-tls-key'],
    values['grpc-client-ca'],
    GRPC_TLS_FLAGS,
  );
  if (!grpcTls.ok) problems.push(...grpcTls.problems);
  const httpTls = pairTlsFlags(
    values['http-tls-cert'],
    values['http-tls-key'],
    values['http-client-ca'],
    HTTP_TLS_FLAGS,
  );
  if (!httpTls.ok) problems.push(...httpTls.problems);
  const adminToken = readAdminToken(values, raws);
  if (!adminToken.ok) problems.push(...adminToken.problems);
  const tls = toTlsSettings(values);
  if (!tls.ok) problems.push(...tls.problems);

  if (values.listen === undefined)
    for (const name of ['trusted-hops', 'proxy-protocol'] as const)
      if (raws.get(name)?.given)
        problems.push(`${raws.get(name)?.path ?? name}: only with --listen (the front door)`);
  if (problems.length > 0 || !engines?.ok || !tls.ok) return fail(problems);
  const config: Config = {
    port: values.port,
    grpcPort: values['grpc-port'],
    grpcLimits: {
      ...DEFAULT_GRPC_LIMITS,
      maxStreams: values['grpc-max-streams'],
      maxStreamsPerPeer: values['grpc-max-streams-per-peer'],
      maxConnectionsPerPeer: values['grpc-max-connections-per-peer'],
      maxStreamsPerConnection: values['grpc-max-streams-per-connection'],
      maxNames: values['grpc-max-names'],
    },
    grpcTls: grpcTls.ok ? grpcTls.value : undefined,
    httpTls: httpTls.ok ? httpTls.value : undefined,
    bind: values.bind,
    allowedHosts: values['allowed-hosts'],
    engines: engines.value,
    engineGraceMs: values['engine-grace'],
    routeGraceMs: values['route-grace'],
    address: {
      addressMode: values['address-mode'],
      hostIp: values['host-ip'],
      network: values.network,
      labelPrefix: values['label-prefix'],
      serving: {
        exposedByDefault: values['exposed-by-default'],
        constraints: values.constraint,
        allowedDomains: values['allowed-domains'],
        authHosts: values['auth-hosts'],
        tcpPorts: values['tcp-port-range'],
        upstreamCa: tls.value.upstreamCa !== undefined,
      },
    },
    swarm: { mode: values.swarm, resyncMs: values['swarm-resync'] },
    logLevel: values['log-level'],
    stateFile: values['state-file'],
    frontDoor: values.listen && {
      ...values.listen,
      ...(values['trusted-hops'] > 0 ? { trustedHops: values['trusted-hops'] } : {}),
      ...(values['proxy-protocol'] ? { proxyProtocol: true } : {}),
    },
    tls: tls.value,
    adminToken: adminToken.ok ? adminToken.value : undefined,
    readOnly: values['read-only'],
    insecureOpenWrites: values['insecure-open-writes'],
    registrations: {
      allow: values['registration-allow-cidr'],
      joinDocker: values['registrations-join-docker'],
      maxServices: values['registration-max-services'],
      maxHostsPerService: values['registration-max-hosts'],
      maxTagsPerHost: values['registration-max-tags'],
      maxTagBytes: values['registration-max-tag-bytes'],
    },
    routeConfigName: values['route-config-name'],
    protectStatus: values['protect-status'],
    metricsClusterLabels: values['metrics-cluster-labels'],
    logFormat: values['log-format'],
  };
  if (!bootstrap) return ok({ kind: 'run', config, warnings: findUnknownVariables(env) });
  const settings = toBootstrapSettings(config, values);
  return settings.ok ? ok({ kind: 'bootstrap', bootstrap: settings.value }) : settings;
}

/**
 * The admin token, from `--admin-token` or the file `--admin-token-file` names (read now, a
 * trailing newline dropped, checked as the flag is); not both.
 */
function readAdminToken(
  values: FlagValues,
  raws: ReadonlyMap<FlagName, RawFlag>,
): Result<string | undefined> {
  const token = readAdminTokenFlags(values, raws);
  if (values['protect-status'] && token.ok && token.value === undefined)
    return fail([
      `${raws.get('protect-status')?.path ?? ''}: protects /status and /metrics with the admin token, so it needs --admin-token (${toEnvName('admin-token')})`,
    ]);
  return token;
}

/** The admin token of `--admin-token` or `--admin-token-file`. */
function readAdminTokenFlags(
  values: FlagValues,
  raws: ReadonlyMap<FlagName, RawFlag>,
): Result<string | undefined> {
  const file = values['admin-token-file'];
  if (file === undefined) return ok(values['admin-token']);
  const path = raws.get('admin-token-file')?.path ?? '--admin-token-file';
  if (values['admin-token'] !== undefined)
    return fail([`${path}: give the admin token once, in a file or as --admin-token, not both`]);
  let text: string;
  try {
    text = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (error) {
    return fail([`${path}: cannot read ${file}: ${(error as Error).message}`]);
  }
  if (text.trim() === '') return fail([`${path}: ${file} is empty; an admin token must not be`]);
  return checkTokenText(text, `${path} (${file})`);
}

/**
 * Each engine of `--docker-host` with its settings: its query's, else the flags'. TLS flags
 * apply to the `tcp://` engines among several (to every engine when none is, which then
 * fails as it always has: they apply to tcp:// engines only).
 */
function resolveEngines(
  engines: readonly DockerHostFlag[],
  values: FlagValues,
  env: Env,
): Result<EngineConfig[]> {
  const problems: string[] = [];
  const resolved: EngineConfig[] = [];
  const home = env.HOME ?? '';
  const anyTcp = engines.some((engine) => engine.url.kind === 'tcp');
  for (const engine of engines) {
    const own = readEngineSettings(engine, env);
    if (!own.ok) {
      problems.push(...own.problems);
      continue;
    }
    const setting = <K extends EngineSetting>(name: K): FlagValue<K> =>
      (own.value.has(name) ? own.value.get(name) : values[name]) as FlagValue<K>;
    const flagTls = (name: 'tls' | 'tlsverify') =>
      own.value.has(name)
        ? (own.value.get(name) as boolean)
        : values[name] && (engine.url.kind === 'tcp' || !anyTcp);
    const ca = setting('tlscacert');
    const cert = setting('tlscert');
    const key = setting('tlskey');
    const settings: EndpointSettings = {
      tls: flagTls('tls'),
      tlsVerify: flagTls('tlsverify'),
      tlsFiles: {
        ...(ca !== undefined ? { ca } : {}),
        ...(cert !== undefined ? { cert } : {}),
        ...(key !== undefined ? { key } : {}),
      },
      certDir: env.DOCKER_CERT_PATH || `${home}/.docker`,
      sshIdentity: setting('ssh-identity'),
      sshKnownHosts: setting('ssh-known-hosts'),
      sshAgentSocket: env.SSH_AUTH_SOCK || undefined,
      user: env.USER || env.LOGNAME || 'root',
      home,
    };
    const endpoint = resolveDockerEndpoint(engine.url, settings, engine.path);
    if (!endpoint.ok) problems.push(...endpoint.problems);
    else
      resolved.push({
        name: engine.name,
        endpoint: endpoint.value,
        url: engine.text,
        hostIp: setting('host-ip'),
      });
  }
  return problems.length > 0 ? fail(problems) : ok(resolved);
}

/** An engine's own settings from its query, each checked by its flag's parser. */
function readEngineSettings(engine: DockerHostFlag, env: Env): Result<Map<EngineSetting, unknown>> {
  const problems: string[] = [];
  const read = new Map<EngineSetting, unknown>();
  for (const [key, text] of engine.settings) {
    const name = ENGINE_SETTINGS.find((setting) => setting === key);
    const path = `${engine.path} (${engine.name}?${key})`;
    if (name === undefined) {
      problems.push(`${path}: not a setting of an engine; one of ${ENGINE_SETTINGS.join(', ')}`);
      continue;
    }
    const value = 'switch' in FLAGS[name] && text === '' ? 'true' : text;
    const spec: FlagSpec<unknown> = FLAGS[name];
    const parsed = spec.parse({ value, path, given: true }, env);
    if (parsed.ok) read.set(name, parsed.value);
    else problems.push(...parsed.problems);
  }
  return problems.length > 0 ? fail(problems) : ok(read);
}

function flagNames(): FlagName[] {
  return Object.keys(FLAGS) as FlagName[];
}

/**
 * A flag's raw value and where it came from: the flag, else its variable (an empty one counts
 * as unset), else its default, which may come from another variable (`DOCKER_HOST`).
 */
function readRaw(name: FlagName, flag: string | boolean | string[] | undefined, env: Env): RawFlag {
  if (Array.isArray(flag)) return { value: flag.join(','), path: `--${name}`, given: true };
  if (typeof flag === 'string') return { value: flag, path: `--${name}`, given: true };
  if (flag === true) return { value: 'true', path: `--${name}`, given: true };
  const fromEnv = env[toEnvName(name)];
  if (fromEnv !== undefined && fromEnv !== '')
    return { value: fromEnv, path: toEnvName(name), given: true };
  const fallback = FLAGS[name].default;
  const raw: Raw | string = typeof fallback === 'string' ? fallback : fallback(env);
  return typeof raw === 'string'
    ? { value: raw, path: `--${name} (default)`, given: false }
    : { ...raw, given: false };
}

/**
 * `--port -1` reaches parseArgs as a flag followed by what looks like another flag, which it
 * refuses with a message about ambiguity. A value that starts with `-` but is no flag of ours
 * is attached (`--port=-1`), so the value's own parser can say what is wrong with it.
 */
function attachDashValues(argv: readonly string[]): string[] {
  const valued = new Set<string>(
    flagNames()
      .filter((name) => !('switch' in FLAGS[name]))
      .map((name) => `--${name}`),
  );
  const known = new Set<string>([
    ...flagNames().map((name) => `--${name}`),
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
function findUnknownVariables(env: Env): string[] {
  const known = flagNames().map(toEnvName);
  return Object.keys(env)
    .filter(
      (name) =>
        name.startsWith('EDS_AGENT_') &&
        !name.startsWith('EDS_AGENT_TEST_') &&
        !known.includes(name),
    )
    .sort()
    .map((name) => {
      const closest = findClosest(name, known);
      const hint = closest !== undefined ? `; did you mean ${closest}?` : '';
      return `${name} is not a setting of eds-agent and is ignored${hint}`;
    });
}

/**
 * What `eds-agent bootstrap` writes for the agent `config` describes: the agent's gRPC
 * address as Envoy reaches it (`--xds-address`, else loopback and `--grpc-port`), Envoy's
 * admin address, and TLS to the agent when its gRPC server speaks TLS, with the files Envoy
 * must be given for it.
 */
function toBootstrapSettings(config: Config, values: FlagValues): Result<BootstrapSettings> {
  const admin = values['envoy-admin'];
  const ca = values['xds-ca'];
  const cert = values['xds-client-cert'];
  const key = values['xds-client-key'];
  const problems: string[] = [];
  if (config.grpcPort === undefined)
    problems.push('bootstrap: Envoy takes everything over gRPC ADS, so --grpc-port cannot be off');
  const xds = values['xds-address'] ?? { host: '127.0.0.1', port: config.grpcPort ?? 0 };
  if (xds.port === 0)
    problems.push(
      'bootstrap: --grpc-port 0 picks a port at start; name the port Envoy dials with --xds-address',
    );
  if (config.grpcTls && ca === undefined)
    problems.push(
      "bootstrap: the gRPC server speaks TLS (--grpc-tls-cert): --xds-ca must name the CA file Envoy trusts the agent's certificate by",
    );
  const mutual = config.grpcTls?.clientCa !== undefined;
  if (mutual && (cert === undefined || key === undefined))
    problems.push(
      'bootstrap: the gRPC server asks for client certificates (--grpc-client-ca): give Envoy its own with --xds-client-cert and --xds-client-key',
    );
  if (problems.length > 0) return fail(problems);
  return ok({
    nodeId: 'eds-agent-front-door',
    admin: { address: admin.host, port: admin.port },
    xds,
    ...(config.grpcTls && ca !== undefined
      ? {
          tls: {
            caFile: ca,
            ...(mutual && cert !== undefined && key !== undefined
              ? { client: { certFile: cert, keyFile: key } }
              : {}),
          },
        }
      : {}),
  });
}

/**
 * The `--tls-*`, `--acme-*` and `--upstream-ca` flags; the store defaults to `tls/` beside the
 * state file. The upstream CA is read now, so a file that cannot be read stops the start.
 */
function toTlsSettings(values: FlagValues): Result<TlsSettings> {
  const stateFile = values['state-file'];
  const caPath = values['upstream-ca'];
  let upstreamCa: string | undefined;
  try {
    upstreamCa = caPath === undefined ? undefined : readFileSync(caPath, 'utf8');
  } catch (error) {
    return fail([`--upstream-ca: cannot read ${caPath}: ${(error as Error).message}`]);
  }
  if (upstreamCa !== undefined && !upstreamCa.includes('-----BEGIN CERTIFICATE-----'))
    return fail([`--upstream-ca: ${caPath} holds no PEM certificate`]);
  return ok({
    issuer: values['tls-issuer'],
    store:
      values['tls-store'] ??
      (stateFile === undefined ? undefined : join(dirname(stateFile), 'tls')),
    lifetimeMs: values['tls-lifetime'],
    certDir: values['tls-cert-dir'],
    acme: toAcmeSettings(values),
    upstreamCa,
  });
}

/** What the command line gives, by flag (`--help` and `--version` besides); unknown flags refused. */
function readArgs(
  args: readonly string[],
): Result<Partial<Record<FlagName | 'help' | 'version', string | boolean | string[]>>> {
  try {
    return ok(
      parseArgs({
        args: attachDashValues(args),
        options: {
          ...Object.fromEntries(
            flagNames().map((name) => [
              name,
              {
                type: 'switch' in FLAGS[name] ? ('boolean' as const) : ('string' as const),
                multiple: 'repeatable' in FLAGS[name],
              },
            ]),
          ),
          help: { type: 'boolean', short: 'h' },
          version: { type: 'boolean' },
        },
        strict: true,
        allowPositionals: false,
      }).values,
    );
  } catch (error) {
    return fail([error instanceof Error ? error.message : String(error)]);
  }
}

/** The ACME account of `--acme-*`, when `--acme-email` gives one. */
function toAcmeSettings(values: FlagValues): AcmeSettings | undefined {
  const email = values['acme-email'];
  if (email === undefined) return undefined;
  const kid = values['acme-eab-kid'];
  const hmacKey = values['acme-eab-hmac-key'];
  return {
    directoryUrl: values['acme-directory'],
    email,
    eab: kid !== undefined && hmacKey !== undefined ? { kid, hmacKey } : undefined,
    caFile: values['acme-ca'],
  };
}
