import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

import { dockerfileBaseImages } from './agent-image.js';
import type { DockerHarness } from './docker-harness.js';
import { eventually } from './eventually.js';
import { freeLoopbackPort } from './free-port.js';
import { REPO_ROOT } from './repo-files.js';

// The proxyless gRPC example's own programs (examples/proxyless-grpc), run as processes on
// 127.0.0.1 with the repository's node_modules, exactly as a user runs them with its own.

const EXAMPLE = join(REPO_ROOT, 'examples/proxyless-grpc');
const running = new Set<ChildProcess>();

/** One greeter replica listening on 127.0.0.1. */
export interface Greeter {
  readonly replica: string;
  readonly port: number;
  kill(): void;
}

/** Starts `server.js` as replica `replica` on a free loopback port; resolves once it listens. */
export async function startGreeter(replica: string): Promise<Greeter> {
  const port = await freeLoopbackPort();
  const child = spawn(process.execPath, [join(EXAMPLE, 'server.js')], {
    env: { PATH: process.env.PATH ?? '', BIND: '127.0.0.1', PORT: String(port), REPLICA: replica },
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await eventually(
    `greeter ${replica} listens`,
    () => output,
    (text) => text.includes('listening'),
    { timeoutMs: 15_000, intervalMs: 50 },
  );
  return { replica, port, kill: () => child.kill('SIGKILL') };
}

/** One call the client made: when it was sent, and who answered or how it failed. */
export interface GreeterCall {
  readonly sentAt: number;
  readonly replica?: string;
  readonly failure?: string;
}

export interface GreeterClient {
  /** Every call whose outcome the client printed so far. */
  calls(): GreeterCall[];
  /** Everything it printed that was no call, for a failing test. */
  otherOutput(): string;
  stop(): void;
}

/**
 * Starts a greeter client calling `xds:///<service>` every `intervalMs`, with an xDS
 * bootstrap (given inline, node `nodeId`) that lists `servers` as its `xds_servers`, in
 * order (each a `server_uri`; a port alone is the agent's gRPC port on 127.0.0.1). The
 * client is the example's `client.js` (grpc-js), or the tests' grpc-go client at `goBinary`
 * (see grpc-go-client.ts); both print the same lines.
 */
export function startGreeterClient(options: {
  /** The agents, as `xds_servers`; or, with `target`, none: the client dials `target` itself. */
  servers: readonly (number | string)[];
  /** Dialled instead of `xds:///<service>` (e.g. Envoy's listener), with `authority`. */
  target?: { address: string; authority: string };
  service: string;
  nodeId: string;
  intervalMs: number;
  goBinary?: string;
  /** Mutual TLS to the agents (gRFC A65's `tls` channel credentials): the CA, its own pair. */
  tls?: { readonly ca: string; readonly cert: string; readonly key: string };
}): GreeterClient {
  const channelCreds = options.tls
    ? {
        type: 'tls',
        config: {
          ca_certificate_file: options.tls.ca,
          certificate_file: options.tls.cert,
          private_key_file: options.tls.key,
        },
      }
    : { type: 'insecure' };
  const bootstrap = {
    xds_servers: options.servers.map((server) => ({
      server_uri: typeof server === 'number' ? `127.0.0.1:${server}` : server,
      channel_creds: [channelCreds],
      server_features: ['xds_v3'],
    })),
    // gRPC's xDS client refuses a node without a locality.
    node: { id: options.nodeId, cluster: 'tests', locality: {} },
  };
  const [command, args] =
    options.goBinary === undefined
      ? [process.execPath, [join(EXAMPLE, 'client.js')]]
      : [options.goBinary, []];
  const child = spawn(command, args, {
    env: {
      PATH: process.env.PATH ?? '',
      GRPC_XDS_BOOTSTRAP_CONFIG: JSON.stringify(bootstrap),
      ...(options.target
        ? { TARGET: options.target.address, AUTHORITY: options.target.authority }
        : {}),
      SERVICE: options.service,
      INTERVAL_MS: String(options.intervalMs),
    },
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  const calls: GreeterCall[] = [];
  let other = '';
  let partial = '';
  child.stdout.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      const match = /^(\S+Z) (FAILED (.*)|(\S+))$/.exec(line);
      if (!match) {
        other += `${line}\n`;
        continue;
      }
      const sentAt = Date.parse(match[1] ?? '');
      calls.push(
        match[3] !== undefined
          ? { sentAt, failure: match[3] }
          : { sentAt, replica: match[4] ?? '' },
      );
    }
  });
  child.stderr.on('data', (chunk: Buffer) => (other += chunk.toString()));
  return { calls: () => [...calls], otherOutput: () => other, stop: () => child.kill('SIGKILL') };
}

/** Kills every greeter process this test file started: each file's `afterAll`. */
export function killGreeters(): void {
  for (const child of running) child.kill('SIGKILL');
}

/** The image greeter containers run: the Dockerfile's Node base (offline, its stand-in). */
export const GREETER_IMAGE = dockerfileBaseImages()[0] ?? 'node:24.19.0-bookworm-slim';

/**
 * Starts a greeter container of `service` on `docker` (image `GREETER_IMAGE`, which must
 * exist: see stand-in-images.ts), running the example's server.js from this checkout mounted
 * read-only, on port 50051 published on 127.0.0.1, with `labels` besides `eds.service` and
 * `eds.port`. It answers with its container hostname. Its HEALTHCHECK is the example's
 * (healthcheck.js, as examples/proxyless-grpc/Dockerfile runs it): the agent serves it once
 * its server listens, so a client may count every call from its first.
 */
export function runGreeterContainer(
  docker: DockerHarness,
  service: string,
  labels: Record<string, string> = {},
) {
  return docker.run({
    image: GREETER_IMAGE,
    cmd: ['node', join(EXAMPLE, 'server.js')],
    env: { PORT: '50051' },
    readOnlyMounts: [REPO_ROOT],
    labels: { 'eds.service': service, 'eds.port': '50051', ...labels },
    publishLoopback: [50051],
    healthcheck: {
      test: ['CMD', 'node', join(EXAMPLE, 'healthcheck.js')],
      intervalMs: 250,
      retries: 3,
    },
    stopTimeout: 10,
  });
}

/** The replicas that answered the calls `client` sent after `since`, sorted. */
export function replicasSince(client: GreeterClient, since: number): string[] {
  return [
    ...new Set(client.calls().flatMap((call) => (call.sentAt > since ? (call.replica ?? []) : []))),
  ].sort();
}
