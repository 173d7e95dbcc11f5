import { fail, ok, type Result } from '../core/result.js';

/** Where the Docker engine listens. */
export type DockerEndpoint =
  | { readonly kind: 'unix'; readonly path: string }
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number };

/**
 * Parses a Docker host URL as the docker CLI writes it: `unix:///var/run/docker.sock` or
 * `tcp://host:2375` (plain TCP; the default port is 2375).
 */
export function parseDockerHost(value: string, path: string): Result<DockerEndpoint> {
  if (value.startsWith('unix://')) {
    const socket = value.slice('unix://'.length);
    if (socket.startsWith('/')) return ok({ kind: 'unix', path: socket });
  } else if (value.startsWith('tcp://')) {
    try {
      const url = new URL(`http://${value.slice('tcp://'.length)}`);
      if (url.hostname !== '' && (url.pathname === '/' || url.pathname === '')) {
        return ok({
          kind: 'tcp',
          host: url.hostname.replace(/^\[|\]$/g, ''),
          port: Number(url.port || 2375),
        });
      }
    } catch {
      // falls through to the message below
    }
  }
  return fail([
    `${path}: expected unix:///path/to/docker.sock or tcp://host:port, got ${JSON.stringify(value)}`,
  ]);
}
