import { readFileSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

import type Docker from 'dockerode';

import type { DockerEndpoint } from '../../config/parse-docker-host.js';
import { fail, ok, type Result } from '../../core/result.js';
import { createDockerodeOptions } from './create-dockerode-options.js';
import { type DockerClient, DockerUnusableError, type EventStream } from './docker-client.js';
import type {
  DockerContainerInspect,
  DockerContainerSummary,
  DockerEvent,
  DockerInfo,
  DockerNode,
  DockerService,
  DockerTask,
  DockerVersion,
} from './docker-json.js';
import { loadDockerode } from './load-dockerode.js';

/**
 * A DockerClient over dockerode, for a unix socket, plain or TLS TCP, or ssh. Requests carry
 * no API version, so the engine answers in its own current version (engines refuse versions
 * older than they support, e.g. Docker 29 anything below 1.44). Fails with problems when a
 * file the connection needs cannot be read.
 */
export function createDockerodeClient(endpoint: DockerEndpoint): Result<DockerClient> {
  const options = createDockerodeOptions(endpoint);
  if (!options.ok) return options;
  let docker: Docker;
  try {
    docker = new (loadDockerode())(options.value);
  } catch (error) {
    return fail([`cannot set up the Docker client: ${(error as Error).message}`]);
  }
  // ping and version take options (an abort signal) at run time; dockerode's types leave them out.
  const withOptions = docker as unknown as {
    ping(options: { abortSignal: AbortSignal }): Promise<unknown>;
    version(options: { abortSignal: AbortSignal }): Promise<DockerVersion>;
    info(options: { abortSignal: AbortSignal }): Promise<DockerInfo>;
  };
  /** Runs one call, turning a refusal no retry can fix into a DockerUnusableError. */
  const call = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw toUnusable(error, endpoint) ?? error;
    }
  };

  return ok({
    ping: (signal) =>
      call(async () => {
        await withOptions.ping({ abortSignal: signal });
      }),
    describeEngine: (signal) =>
      call(async () => {
        const info = await withOptions.version({ abortSignal: signal });
        const podman = (info.Components ?? []).some((part) => part.Name === 'Podman Engine');
        return {
          product: podman ? 'podman' : 'docker',
          version: info.Version ?? '?',
          apiVersion: info.ApiVersion ?? '?',
        };
      }),
    listContainers: (signal) =>
      call(async () => {
        const containers: DockerContainerSummary[] = await docker.listContainers({
          abortSignal: signal,
        });
        return containers;
      }),
    inspectContainer: (id, signal) =>
      call(async () => {
        try {
          return (await docker
            .getContainer(id)
            .inspect({ abortSignal: signal })) as DockerContainerInspect;
        } catch (error) {
          if (isNotFound(error)) return undefined;
          throw error;
        }
      }),
    describeSwarm: (signal) =>
      call(async () => {
        try {
          const { Swarm } = await withOptions.info({ abortSignal: signal });
          return {
            manager: Swarm?.LocalNodeState === 'active' && Swarm.ControlAvailable === true,
            nodeId: Swarm?.NodeID ?? '',
          };
        } catch (error) {
          // An engine (or a socket proxy in front of it) that refuses `/info` is no manager
          // the agent could follow; an unreachable one is retried as any call is.
          if (isRefused(error)) return { manager: false, nodeId: '' };
          throw error;
        }
      }),
    listServices: (signal) =>
      call(async () => (await docker.listServices({ abortSignal: signal })) as DockerService[]),
    // Unfiltered: a task scaled away is asked to `remove`, which not every engine's
    // desired-state filter accepts; the history kept besides is a few tasks per slot.
    listTasks: (signal) =>
      call(async () => (await docker.listTasks({ abortSignal: signal })) as DockerTask[]),
    listNodes: (signal) =>
      call(async () => (await docker.listNodes({ abortSignal: signal })) as DockerNode[]),
    listNetworkNames: (signal) =>
      call(async () => {
        const networks = await docker.listNetworks({ abortSignal: signal });
        return networks.map((network) => network.Name);
      }),
    openEvents: (filters, signal) =>
      call(async () => {
        // The caller's signal bounds the wait for the engine to accept; the stream itself must
        // outlive it, so the request gets a signal of its own, cut by `close()`.
        const request = new AbortController();
        const abort = (): void => {
          request.abort(signal.reason);
        };
        signal.addEventListener('abort', abort, { once: true });
        try {
          const stream = await docker.getEvents({
            filters: JSON.stringify(filters),
            abortSignal: request.signal,
          });
          return toEventStream(stream, request);
        } finally {
          signal.removeEventListener('abort', abort);
        }
      }),
  });
}

/** Splits the engine's newline-delimited JSON into events; a line that is not JSON is skipped. */
function toEventStream(stream: NodeJS.ReadableStream, request: AbortController): EventStream {
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  // readline does not surface the socket's errors: end iteration on them the same way.
  stream.on('error', () => {
    lines.close();
  });
  return {
    close() {
      request.abort();
      // docker-modem hands us the HTTP response, which can be destroyed to drop the connection.
      if ('destroy' in stream && typeof stream.destroy === 'function')
        (stream as Readable).destroy();
      lines.close();
    },
    async *[Symbol.asyncIterator]() {
      for await (const line of lines) {
        if (line.trim() === '') continue;
        try {
          yield JSON.parse(line) as DockerEvent;
        } catch {
          continue;
        }
      }
    },
  };
}

/** Certificate checks that fail on our side: the engine's certificate is not one we trust. */
const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * A refusal no retry can fix, as a DockerUnusableError saying what to change: permission
 * denied on the engine's socket, TLS that fails either way, plain HTTP to an engine that
 * speaks TLS, an ssh host key that known_hosts does not list, an ssh login refused.
 * `undefined` for everything else (the engine being down is retried).
 */
function toUnusable(error: unknown, endpoint: DockerEndpoint): DockerUnusableError | undefined {
  const { code, message, reason, statusCode } = (error ?? {}) as NodeJS.ErrnoException & {
    reason?: string;
    statusCode?: number;
  };
  if (endpoint.kind === 'unix')
    return code === 'EACCES' ? toSocketDenied(endpoint.path) : undefined;
  if (endpoint.kind === 'ssh') {
    const host = `${endpoint.host}:${endpoint.port}`;
    if (message.includes('Host denied'))
      return new DockerUnusableError(
        `the host key of ${host} is not the one ${endpoint.ssh.knownHostsFile} lists (another server, or its key changed): check it, then update that file (ssh-keyscan -p ${endpoint.port} ${endpoint.host})`,
      );
    if (message.includes('authentication methods failed'))
      return new DockerUnusableError(
        `ssh login to ${host} as ${endpoint.username} failed: no key we have is accepted; check --ssh-identity (or the ssh-agent in SSH_AUTH_SOCK) and the host's authorized_keys`,
      );
    return undefined;
  }
  const engine = `the Docker engine at ${endpoint.host}:${endpoint.port}`;
  if (statusCode === 400 && message.includes('HTTP request to an HTTPS server'))
    return new DockerUnusableError(
      `${engine} speaks TLS: add --tlsverify and its certificates (--tlscacert, --tlscert, --tlskey), or set DOCKER_TLS_VERIFY and DOCKER_CERT_PATH as for the docker CLI`,
    );
  if (code !== undefined && UNTRUSTED.has(code))
    return new DockerUnusableError(
      `TLS with ${engine} failed: its certificate is not trusted (${message}); check --tlscacert (or ca.pem in DOCKER_CERT_PATH)`,
    );
  if (code?.startsWith('ERR_SSL_') === true)
    return new DockerUnusableError(
      `TLS with ${engine} failed: ${reason ?? message.split('\n')[0] ?? code}; the engine refused our client certificate: check --tlscert and --tlskey (or cert.pem and key.pem in DOCKER_CERT_PATH)`,
    );
  return undefined;
}

/** Permission denied on the engine's unix socket: say whose group opens it. */
function toSocketDenied(path: string): DockerUnusableError {
  let group = '';
  try {
    const gid = statSync(path).gid;
    const name = readFileSync('/etc/group', 'utf8')
      .split('\n')
      .map((line) => line.split(':'))
      .find((fields) => fields[2] === String(gid))?.[0];
    group = `, which belongs to group ${gid}${name ? ` (${name})` : ''}; run the agent in that group (docker run --group-add ${gid}, or group_add: ["${gid}"] in compose)`;
  } catch {
    group = '; run the agent as a user allowed to open it';
  }
  return new DockerUnusableError(`permission denied on the Docker socket ${path}${group}`);
}

/** The engine answered with a 4xx status: it will not do this, however often asked. */
function isRefused(error: unknown): boolean {
  const status =
    typeof error === 'object' && error !== null && 'statusCode' in error
      ? Number(error.statusCode)
      : 0;
  return status >= 400 && status < 500;
}

function isNotFound(error: unknown): boolean {
  return (
    typeof error === 'object' && error !== null && 'statusCode' in error && error.statusCode === 404
  );
}
