import { createServer, type Server } from 'node:http';

/** An HTTP server on 127.0.0.1 (a free port) that answers every request with `name`. */
export async function startNamedServer(name: string): Promise<Server> {
  const server = createServer((_req, res) => res.end(name)).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return server;
}
