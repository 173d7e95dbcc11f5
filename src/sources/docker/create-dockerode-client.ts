import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

import Docker from 'dockerode';

import type { DockerEndpoint } from '../../config/parse-docker-host.js';
import type { DockerClient, EventStream } from './docker-client.js';
import type { DockerContainerInspect, DockerContainerSummary, DockerEvent } from './docker-json.js';

/** A DockerClient over dockerode, talking to a unix socket or plain TCP endpoint. */
export function createDockerodeClient(endpoint: DockerEndpoint): DockerClient {
  const docker =
    endpoint.kind === 'unix'
      ? new Docker({ socketPath: endpoint.path })
      : new Docker({ host: endpoint.host, port: endpoint.port, protocol: 'http' });

  return {
    async listContainers() {
      const containers: DockerContainerSummary[] = await docker.listContainers();
      return containers;
    },
    async inspectContainer(id) {
      try {
        return (await docker.getContainer(id).inspect()) as DockerContainerInspect;
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },
    async openEvents(filters) {
      const stream = await docker.getEvents({ filters: JSON.stringify(filters) });
      return toEventStream(stream);
    },
  };
}

/** Splits the engine's newline-delimited JSON into events; a line that is not JSON is skipped. */
function toEventStream(stream: NodeJS.ReadableStream): EventStream {
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  // readline does not surface the socket's errors: end iteration on them the same way.
  stream.on('error', () => {
    lines.close();
  });
  return {
    close() {
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

function isNotFound(error: unknown): boolean {
  return (
    typeof error === 'object' && error !== null && 'statusCode' in error && error.statusCode === 404
  );
}
