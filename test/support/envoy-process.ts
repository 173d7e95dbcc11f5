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
  writeFileSync(configPath, JSON.stringify(bootstrap, null, 2));
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
    ],
    { stdio: ['ignore', logFd, logFd] },
  );
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      resolve();
    });
  });
  /** Kept when the files go, since a failing test prints the log after its Envoy is stopped. */
  let finalLog: string | undefined;
  const log = (): string => finalLog ?? (existsSync(logPath) ? readFileSync(logPath, 'utf8') : '');

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      await terminate(child, exited);
      finalLog = log();
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
