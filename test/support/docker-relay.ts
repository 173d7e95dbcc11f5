import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';

import { freeLoopbackPort } from './free-port.js';

/**
 * A loopback TCP port that forwards to a Docker engine's unix socket, and that a test can take
 * down and bring back: the engine becomes unreachable for whoever uses the relay (the agent
 * under test, with `--docker-host tcp://127.0.0.1:<port>`) while it keeps running, and so do
 * its containers.
 */
export class DockerRelay {
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();

  private constructor(
    readonly port: number,
    private readonly socketPath: string,
  ) {}

  /** Starts a relay, up, on a free port. */
  static async start(socketPath = '/var/run/docker.sock'): Promise<DockerRelay> {
    const relay = new DockerRelay(await freeLoopbackPort(), socketPath);
    await relay.up();
    return relay;
  }

  /** `tcp://127.0.0.1:<port>`, for `--docker-host`. */
  get dockerHost(): string {
    return `tcp://127.0.0.1:${this.port}`;
  }

  /** Accepts connections again, on the same port. */
  async up(): Promise<void> {
    if (this.#server) return;
    const server = createServer((client) => {
      const engine = connect(this.socketPath);
      for (const socket of [client, engine]) {
        this.#sockets.add(socket);
        socket.on('close', () => this.#sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          engine.destroy();
        });
      }
      client.pipe(engine).pipe(client);
    });
    server.listen(this.port, '127.0.0.1');
    await once(server, 'listening');
    this.#server = server;
  }

  /** Refuses new connections and cuts the open ones (the agent's event stream among them). */
  async down(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    const closed = new Promise((resolve) => server.close(resolve));
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }
}
