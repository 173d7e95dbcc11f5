import { statSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

import Docker from 'dockerode';

import type { DockerEndpoint } from '../../config/parse-docker-host.js';
import { fail, ok, type Result } from '../../core/result.js';
import { createDockerodeOptions } from './create-dockerode-options.js';
import { DockerUnusableError, type DockerClient, type EventStream } from './docker-client.js';
import type { DockerContainerInspect, DockerContainerSummary, DockerEvent } from './docker-json.js';

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
    docker = new Docker(options.value);
  } catch (error) {
    return fail([`cannot set up the Docker client: ${(error as Error).message}`]);
  }
  // dockerode's ping takes options (an abort signal) at run time; its types leave them out.
  const ping = (
    docker.ping as unknown as (options: { abortSignal: AbortSignal }) => Promise<unknown>
  ).bind(docker);
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
        await ping({ abortSignal: signal });
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

/** Permission denied on the engine's unix socket: say whose group opens it. */
function toUnusable(error: unknown, endpoint: DockerEndpoint): DockerUnusableError | undefined {
  if ((error as NodeJS.ErrnoException | undefined)?.code !== 'EACCES' || endpoint.kind !== 'unix')
    return undefined;
  let group = '';
  try {
    const gid = statSync(endpoint.path).gid;
    const name = readFileSync('/etc/group', 'utf8')
      .split('\n')
      .map((line) => line.split(':'))
      .find((fields) => fields[2] === String(gid))?.[0];
    group = `, which belongs to group ${gid}${name ? ` (${name})` : ''}; run the agent in that group (docker run --group-add ${gid}, or group_add: ["${gid}"] in compose)`;
  } catch {
    group = '; run the agent as a user allowed to open it';
  }
  return new DockerUnusableError(`permission denied on the Docker socket ${endpoint.path}${group}`);
}

function isNotFound(error: unknown): boolean {
  return (
    typeof error === 'object' && error !== null && 'statusCode' in error && error.statusCode === 404
  );
}
