import type { DockerClient, EventStream } from './docker-client.js';

/** What is told of an engine's calls, sessions and events (the agent's metrics listen). */
export interface DockerClientObserver {
  dockerCall(engine: string, call: string, failed: boolean): void;
  dockerSession(engine: string): void;
  dockerEvent(engine: string, action: string): void;
}

/**
 * `client` of the engine named `engine`, with every call counted (and its failures) and every
 * event received counted by action; each subscription opened is a session (see
 * `Metrics.dockerSession`). A decorator, so the sources know nothing of metrics.
 */
export function instrumentDockerClient(
  client: DockerClient,
  metrics: DockerClientObserver,
  engine: string,
): DockerClient {
  const counted = <T>(call: string, promise: Promise<T>): Promise<T> =>
    promise.then(
      (value) => {
        metrics.dockerCall(engine, call, false);
        return value;
      },
      (error: unknown) => {
        metrics.dockerCall(engine, call, true);
        throw error;
      },
    );
  return {
    ping: (signal) => counted('ping', client.ping(signal)),
    describeEngine: (signal) => counted('version', client.describeEngine(signal)),
    listContainers: (signal) => counted('list', client.listContainers(signal)),
    inspectContainer: (id, signal) => counted('inspect', client.inspectContainer(id, signal)),
    listNetworkNames: (signal) => counted('networks', client.listNetworkNames(signal)),
    describeSwarm: (signal) => counted('info', client.describeSwarm(signal)),
    listServices: (signal) => counted('services', client.listServices(signal)),
    listTasks: (signal) => counted('tasks', client.listTasks(signal)),
    listNodes: (signal) => counted('nodes', client.listNodes(signal)),
    async openEvents(filters, signal) {
      const stream = await counted('events', client.openEvents(filters, signal));
      metrics.dockerSession(engine);
      return countEvents(stream, (action) => {
        metrics.dockerEvent(engine, action);
      });
    },
  };
}

function countEvents(stream: EventStream, count: (action: string) => void): EventStream {
  return {
    close: () => {
      stream.close();
    },
    async *[Symbol.asyncIterator]() {
      for await (const event of stream) {
        count(event.Action ?? '');
        yield event;
      }
    },
  };
}
