import type { EngineInfo } from '../../src/core/engine-status.js';
import type {
  DockerClient,
  EventStream,
  SwarmRole,
} from '../../src/sources/engine/docker-client.js';
import type {
  DockerContainerInspect,
  DockerContainerSummary,
  DockerEvent,
  DockerNode,
  DockerService,
  DockerTask,
} from '../../src/sources/engine/docker-json.js';

/** A container as the fake engine keeps it: enough to answer both list and inspect. */
export interface FakeContainer {
  id: string;
  name: string;
  labels: Record<string, string>;
  running: boolean;
  ip: string;
}

/**
 * An in-memory Docker engine behind the DockerClient port, for exercising the source's
 * ordering logic deterministically: the test decides when a list call returns, when events
 * arrive and when the engine is down. The real engine is exercised in test/integration/.
 */
export class FakeDockerEngine implements DockerClient {
  readonly containers = new Map<string, FakeContainer>();
  readonly inspected: string[] = [];
  down = false;
  failInspect = false;
  /** Network names the engine knows. */
  networks = ['bridge', 'host', 'none'];
  readonly pinged: number[] = [];
  /** While set, every call waits (until its signal aborts), as with a dockerd stopped by SIGSTOP. */
  #hung: { promise: Promise<void>; release: () => void } | undefined;
  /** When set, list calls take their snapshot at once but return only after it resolves. */
  listGate: Promise<void> | undefined;
  /** The same for inspect calls (each is counted in `inspected` before it waits). */
  inspectGate: Promise<void> | undefined;
  /** Events the source has taken from its streams and handled. */
  eventsTaken = 0;
  #streams = new Set<{ push: (event: DockerEvent | null) => void }>();

  add(container: FakeContainer): void {
    this.containers.set(container.id, container);
  }

  /** Holds every inspect from now on until the returned function is called. */
  holdInspects(): () => void {
    let release = (): void => undefined;
    this.inspectGate = new Promise<void>((resolve) => (release = resolve));
    return release;
  }

  /** The engine stops answering; connections stay open. */
  hang(): void {
    let release = (): void => undefined;
    const promise = new Promise<void>((resolve) => (release = resolve));
    this.#hung = { promise, release };
  }

  /** The engine answers again, including the calls that waited. */
  resume(): void {
    this.#hung?.release();
    this.#hung = undefined;
  }

  /** Waits while hung; rejects as a real request does when `signal` aborts meanwhile. */
  async #answer(signal: AbortSignal | undefined): Promise<void> {
    await waitFor(this.#hung?.promise, signal);
  }

  async ping(signal?: AbortSignal): Promise<void> {
    await this.#answer(signal);
    if (this.down) throw new Error('connect ECONNREFUSED');
    this.pinged.push(Date.now());
  }

  /** What `describeEngine` says; `podman` makes the source inspect at each full sync. */
  product: 'docker' | 'podman' = 'docker';

  async describeEngine(signal?: AbortSignal): Promise<EngineInfo> {
    await this.#answer(signal);
    if (this.down) throw new Error('connect ECONNREFUSED');
    return {
      product: this.product,
      version: this.product === 'podman' ? '4.3.1' : '20.10.24',
      apiVersion: '1.41',
    };
  }

  /** The engine's Swarm, when it is a manager of one: what its three list calls answer. */
  swarm:
    | { nodeId: string; services: DockerService[]; tasks: DockerTask[]; nodes: DockerNode[] }
    | undefined;
  /** Every Swarm call made, by name (`info`, `services`, `tasks`, `nodes`), in order. */
  readonly swarmCalls: string[] = [];

  async #swarmCall<T>(name: string, signal: AbortSignal | undefined, answer: () => T): Promise<T> {
    await this.#answer(signal);
    if (this.down) throw new Error('connect ECONNREFUSED');
    this.swarmCalls.push(name);
    return structuredClone(answer());
  }

  describeSwarm(signal?: AbortSignal): Promise<SwarmRole> {
    return this.#swarmCall('info', signal, () => ({
      manager: this.swarm !== undefined,
      nodeId: this.swarm?.nodeId ?? '',
    }));
  }

  listServices(signal?: AbortSignal): Promise<DockerService[]> {
    return this.#swarmCall('services', signal, () => this.#managed().services);
  }

  listTasks(signal?: AbortSignal): Promise<DockerTask[]> {
    return this.#swarmCall('tasks', signal, () => this.#managed().tasks);
  }

  listNodes(signal?: AbortSignal): Promise<DockerNode[]> {
    return this.#swarmCall('nodes', signal, () => this.#managed().nodes);
  }

  #managed() {
    if (!this.swarm) throw new Error('This node is not a swarm manager.');
    return this.swarm;
  }

  /** Delivers a Swarm event (`service` or `node`), as a manager does. */
  emitSwarm(type: 'service' | 'node', action: string, id: string): void {
    for (const stream of this.#streams)
      stream.push({ Type: type, Action: action, Actor: { ID: id, Attributes: {} } });
  }

  async listNetworkNames(signal?: AbortSignal): Promise<string[]> {
    await this.#answer(signal);
    if (this.down) throw new Error('connect ECONNREFUSED');
    return [...this.networks];
  }

  async listContainers(signal?: AbortSignal): Promise<DockerContainerSummary[]> {
    await this.#answer(signal);
    if (this.down) throw new Error('connect ECONNREFUSED');
    const snapshot = [...this.containers.values()].filter((c) => c.running).map(toSummary);
    await waitFor(this.listGate, signal);
    return snapshot;
  }

  async inspectContainer(
    id: string,
    signal?: AbortSignal,
  ): Promise<DockerContainerInspect | undefined> {
    // A real inspect is a round trip on a socket: events of a burst arrive while it is in flight.
    await new Promise((resolve) => setTimeout(resolve, 1));
    await this.#answer(signal);
    if (this.down || this.failInspect) throw new Error('connect ECONNREFUSED');
    this.inspected.push(id);
    const container = this.containers.get(id);
    const snapshot = container && toInspect(container);
    await waitFor(this.inspectGate, signal);
    return snapshot;
  }

  async openEvents(
    _filters?: Readonly<Record<string, readonly string[]>>,
    signal?: AbortSignal,
  ): Promise<EventStream> {
    await Promise.resolve();
    await this.#answer(signal);
    if (this.down) throw new Error('connect ECONNREFUSED');
    const queue: (DockerEvent | null)[] = [];
    let wake: (() => void) | undefined;
    const stream = {
      push: (event: DockerEvent | null) => {
        queue.push(event);
        wake?.();
      },
    };
    this.#streams.add(stream);
    const streams = this.#streams;
    const taken = () => (this.eventsTaken += 1);
    return {
      close: () => {
        stream.push(null);
      },
      async *[Symbol.asyncIterator]() {
        try {
          for (;;) {
            const event = queue.shift();
            if (event === null) return;
            if (event) {
              yield event;
              taken(); // the consumer asks for the next one once it has handled this one
            } else await new Promise<void>((resolve) => (wake = resolve));
          }
        } finally {
          streams.delete(stream);
        }
      },
    };
  }

  /** Delivers a container event, with the container's labels as attributes (as Docker does). */
  emit(id: string, action: string, attributes: Record<string, string> = {}): void {
    const labels = this.containers.get(id)?.labels ?? {};
    for (const stream of this.#streams) {
      stream.push({
        Type: 'container',
        Action: action,
        Actor: { ID: id, Attributes: { ...labels, ...attributes } },
      });
    }
  }

  /** The engine goes away: every event stream ends and calls fail until `down` is cleared. */
  goDown(): void {
    this.down = true;
    for (const stream of this.#streams) stream.push(null);
  }

  get subscribers(): number {
    return this.#streams.size;
  }
}

function toSummary(c: FakeContainer): DockerContainerSummary {
  return {
    Id: c.id,
    Names: [`/${c.name}`],
    Labels: c.labels,
    State: c.running ? 'running' : 'exited',
    Status: 'Up 1 second',
    Ports: [{ PrivatePort: 8080, Type: 'tcp' }],
    NetworkSettings: { Networks: { bridge: { IPAddress: c.ip } } },
  };
}

function toInspect(c: FakeContainer): DockerContainerInspect {
  return {
    Id: c.id,
    Name: `/${c.name}`,
    State: { Status: c.running ? 'running' : 'exited' },
    Config: { Labels: c.labels, ExposedPorts: { '8080/tcp': {} } },
    NetworkSettings: { Networks: { bridge: { IPAddress: c.ip } }, Ports: {} },
  };
}

/** Waits for `gate` (if any); rejects as a real request does when `signal` aborts meanwhile. */
async function waitFor(gate: Promise<void> | undefined, signal: AbortSignal | undefined) {
  if (!gate) return;
  await new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      reject(new Error('The operation was aborted'));
    };
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    void gate.then(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}
