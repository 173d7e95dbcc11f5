import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { requireEnvoy } from './envoy-binary.js';
import { eventually } from './eventually.js';

/** One upstream host as Envoy's admin `/clusters?format=json` shows it. */
export interface EnvoyHost {
  /** `ip:port` */
  readonly address: string;
  /** The health the EDS server gave (`HEALTHY`, `DRAINING`, ...), as Envoy keeps it. */
  readonly edsHealth: string;
  readonly weight: number;
  readonly priority: number;
  /** Envoy's own active health check failed it (`eds.health_check.*`). */
  readonly failedActiveHealthCheck: boolean;
  /** Outlier detection ejected it (`eds.outlier.*`). */
  readonly ejected: boolean;
}

/** A running Envoy on loopback. */
export interface EnvoyUnderTest {
  /** `http://127.0.0.1:<listener port>/`: requests here go through Envoy. */
  readonly url: string;
  readonly adminUrl: string;
  /** Everything Envoy has logged so far; after `stop`, everything it logged. */
  log(): string;
  /**
   * The requests through its listeners that did not go plainly: not a 200, any response flag,
   * or more than one attempt upstream (a retry), one line each with the upstream host, the
   * attempts and why (see {@link ACCESS_LOG_FORMAT}).
   */
  notableRequests(): string;
  /** The hosts Envoy holds for `cluster`, sorted by address. */
  hosts(cluster: string): Promise<EnvoyHost[]>;
  /** A counter or gauge from `/stats`, e.g. `cluster.web.update_success`; 0 when absent. */
  stat(name: string): Promise<number>;
  /** SIGTERM, then SIGKILL if it has not exited within 5 s. Idempotent. */
  stop(): Promise<void>;
}

interface ClustersJson {
  cluster_statuses?: {
    name: string;
    host_statuses?: {
      address: { socket_address: { address: string; port_value: number } };
      health_status: {
        eds_health_status?: string;
        failed_active_health_check?: boolean;
        failed_outlier_check?: boolean;
      };
      weight?: number;
      priority?: number;
    }[];
  }[];
}

/**
 * Starts Envoy with `bootstrap` (listener and admin on 127.0.0.1; port 0 lets Envoy pick free
 * ones, which are read back from the admin API) and resolves once its admin `/ready` says
 * LIVE, i.e. every cluster has had its first answer. One worker thread, so round robin is
 * exact; no hot restart, so several Envoys can run at once. Throws with Envoy's log if it
 * exits or is not LIVE within 20 s.
 */
export async function startEnvoy(bootstrap: unknown): Promise<EnvoyUnderTest> {
  const binary = requireEnvoy();
  const dir = mkdtempSync(join(tmpdir(), 'eds-agent-envoy-'));
  const configPath = join(dir, 'envoy.json');
  const adminPath = join(dir, 'admin-address');
  const logPath = join(dir, 'envoy.log');
  const accessLogPath = join(dir, 'access.log');
  writeFileSync(configPath, JSON.stringify(withAccessLog(bootstrap, accessLogPath), null, 2));
  const logFd = openSync(logPath, 'a');
  const child = spawn(
    binary,
    [
      '-c',
      configPath,
      '--admin-address-path',
      adminPath,
      '--disable-hot-restart',
      '--concurrency',
      '1',
      '--log-level',
      'info',
      // The access log reaches its file within 0.1 s (Envoy's default is 10 s), so a
      // failing test reads what happened up to its failure.
      '--file-flush-interval-msec',
      '100',
    ],
    { stdio: ['ignore', logFd, logFd] },
  );
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      resolve();
    });
  });
  /** Kept when the files go, since a failing test prints the logs after its Envoy is stopped. */
  let finalLog: string | undefined;
  let finalNotable: string | undefined;
  const read = (path: string): string => (existsSync(path) ? readFileSync(path, 'utf8') : '');
  const log = (): string => finalLog ?? read(logPath);
  const notableRequests = (): string => finalNotable ?? notable(read(accessLogPath));

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      await terminate(child, exited);
      finalLog = log();
      finalNotable = notableRequests();
      rmSync(dir, { recursive: true, force: true });
    })());

  // An Envoy that exits while starting (a bad config, a port in use) fails the start at once.
  const died = exited.then(() => {
    throw new Error(`Envoy exited while starting (code ${child.exitCode})`);
  });
  died.catch(() => undefined);
  try {
    const adminUrl = await Promise.race([died, live(adminPath)]);
    const listeners = (await (await fetch(`${adminUrl}/listeners?format=json`)).json()) as {
      listener_statuses: { local_address: { socket_address: { port_value: number } } }[];
    };
    const port = listeners.listener_statuses[0]?.local_address.socket_address.port_value;
    if (port === undefined) throw new Error('Envoy has no listener');
    return {
      url: `http://127.0.0.1:${port}/`,
      adminUrl,
      log,
      notableRequests,
      hosts: async (cluster) => hostsOf(adminUrl, cluster),
      stat: async (name) => statOf(adminUrl, name),
      stop,
    };
  } catch (error) {
    const message = `${error instanceof Error ? error.message : String(error)}\n--- Envoy log ---\n${log()}`;
    await stop();
    throw new Error(message);
  }
}

/**
 * One line per request: when it started, its status and response flags, how many attempts
 * it took upstream and the last upstream host, why it ended as it did, and how long it took.
 */
export const ACCESS_LOG_FORMAT =
  '%START_TIME% %RESPONSE_CODE% flags=%RESPONSE_FLAGS% attempts=%UPSTREAM_REQUEST_ATTEMPT_COUNT% ' +
  'upstream=%UPSTREAM_HOST% details=%RESPONSE_CODE_DETAILS% ' +
  'transport=%UPSTREAM_TRANSPORT_FAILURE_REASON% ms=%DURATION%\n';

/**
 * `bootstrap` with an access log to `path` on every HTTP connection manager of its static
 * listeners that has none, so a failing test can say what Envoy did with each request.
 */
function withAccessLog(bootstrap: unknown, path: string): unknown {
  const copy = structuredClone(bootstrap) as {
    static_resources?: { listeners?: { filter_chains?: { filters?: Filter[] }[] }[] };
  };
  interface Filter {
    name: string;
    typed_config?: { access_log?: unknown };
  }
  for (const listener of copy.static_resources?.listeners ?? [])
    for (const chain of listener.filter_chains ?? [])
      for (const filter of chain.filters ?? [])
        if (filter.name === 'envoy.filters.network.http_connection_manager' && filter.typed_config)
          filter.typed_config.access_log ??= [
            {
              name: 'envoy.access_loggers.file',
              typed_config: {
                '@type':
                  'type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog',
                path,
                log_format: { text_format_source: { inline_string: ACCESS_LOG_FORMAT } },
              },
            },
          ];
  return copy;
}

/** The lines of an access log in {@link ACCESS_LOG_FORMAT} for requests that did not go plainly. */
function notable(accessLog: string): string {
  return accessLog
    .split('\n')
    .filter((line) => line !== '' && !/ 200 flags=- attempts=1 /.test(line))
    .join('\n');
}

/** Waits for the admin address Envoy writes, then until `/ready` says LIVE; returns the admin URL. */
async function live(adminPath: string): Promise<string> {
  const adminUrl = await eventually(
    'Envoy writes its admin address',
    () => (existsSync(adminPath) ? `http://${readFileSync(adminPath, 'utf8').trim()}` : ''),
    (url) => url !== '',
    { timeoutMs: 20_000, intervalMs: 50 },
  );
  await eventually(
    'Envoy is LIVE',
    async () => (await fetch(`${adminUrl}/ready`)).text(),
    (body) => body.trim() === 'LIVE',
    { timeoutMs: 20_000, intervalMs: 50 },
  );
  return adminUrl;
}

/** The hosts the Envoy whose admin API is at `adminUrl` holds for `cluster`, sorted by address. */
export async function hostsOf(adminUrl: string, cluster: string): Promise<EnvoyHost[]> {
  const reply = await fetch(`${adminUrl}/clusters?format=json`, {
    signal: AbortSignal.timeout(5000),
  });
  const json = (await reply.json()) as ClustersJson;
  const status = json.cluster_statuses?.find((candidate) => candidate.name === cluster);
  return (status?.host_statuses ?? [])
    .map((host) => ({
      address: `${host.address.socket_address.address}:${host.address.socket_address.port_value}`,
      edsHealth: host.health_status.eds_health_status ?? 'UNKNOWN',
      weight: host.weight ?? 1,
      priority: host.priority ?? 0,
      failedActiveHealthCheck: host.health_status.failed_active_health_check === true,
      ejected: host.health_status.failed_outlier_check === true,
    }))
    .sort((a, b) => a.address.localeCompare(b.address));
}

async function statOf(adminUrl: string, name: string): Promise<number> {
  const filter = encodeURIComponent(`^${name.replaceAll('.', '\\.')}$`);
  const json = (await (await fetch(`${adminUrl}/stats?format=json&filter=${filter}`)).json()) as {
    stats: { name: string; value?: number }[];
  };
  return json.stats.find((stat) => stat.name === name)?.value ?? 0;
}

async function terminate(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
