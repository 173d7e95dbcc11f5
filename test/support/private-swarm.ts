import type Docker from 'dockerode';

import { DockerHarness, RUN_LABEL } from './docker-harness.js';
import { freeLoopbackPort } from './free-port.js';
import { PrivateDaemon } from './private-daemon.js';

/** What a test service runs, and how it is updated. */
export interface SwarmServiceSpec {
  readonly name: string;
  readonly replicas: number;
  /** The task's command (a shell command of the test image). */
  readonly command: readonly string[];
  /** How long Swarm lets a task stop before killing it. */
  readonly stopGraceSeconds?: number;
  /** A `CMD-SHELL` HEALTHCHECK, checked every 500 ms; unhealthy at its first failure. */
  readonly healthCheck?: string;
  /** Labels of the service itself (`docker service create --label`). */
  readonly labels: Readonly<Record<string, string>>;
}

/** One running task as Swarm reports it. */
export interface RunningTask {
  readonly id: string;
  /** The host port Swarm published its port 8000 at (mode=host). */
  readonly hostPort: number;
  /** Its container's short id: what the test image answers with (its hostname). */
  readonly container: string;
}

/**
 * A single-node Swarm on a private Docker engine of the test (`swarm init --advertise-addr
 * 127.0.0.1`), with the test image, so that Swarm's own state never touches the engine other
 * tests use. IPVS is missing on these machines, so services publish their port 8000 with
 * `mode=host` and no published port: each task gets a free host port on 127.0.0.1.
 */
export class PrivateSwarm {
  readonly daemon = new PrivateDaemon();
  #harness: DockerHarness | undefined;

  /** What running one takes (for `lacks`). */
  static readonly NEEDS = PrivateDaemon.NEEDS;

  get docker(): Docker {
    return this.harness.docker;
  }

  get harness(): DockerHarness {
    if (!this.#harness) throw new Error('the private Swarm is not created yet');
    return this.#harness;
  }

  async create(): Promise<void> {
    await this.daemon.create();
    this.#harness = new DockerHarness(this.daemon.socketPath);
    await this.harness.buildImage();
    const port = await freeLoopbackPort();
    await this.docker.swarmInit({
      ListenAddr: `127.0.0.1:${port}`,
      AdvertiseAddr: `127.0.0.1:${port}`,
    });
  }

  async createService(spec: SwarmServiceSpec): Promise<Docker.Service> {
    return this.docker.createService({
      Name: spec.name,
      Labels: { ...spec.labels, [RUN_LABEL]: this.harness.runId },
      TaskTemplate: {
        ContainerSpec: {
          Image: this.harness.image,
          Command: [...spec.command],
          StopGracePeriod: (spec.stopGraceSeconds ?? 10) * 1e9,
          ...(spec.healthCheck === undefined
            ? {}
            : {
                HealthCheck: {
                  Test: ['CMD-SHELL', spec.healthCheck],
                  Interval: 500e6,
                  Timeout: 2e9,
                  Retries: 1,
                  StartPeriod: 0,
                },
              }),
        },
        RestartPolicy: { Condition: 'any', Delay: 0 },
      },
      Mode: { Replicated: { Replicas: spec.replicas } },
      UpdateConfig: { Parallelism: 1, Delay: 0, Order: 'start-first' },
      EndpointSpec: { Ports: [{ Protocol: 'tcp', TargetPort: 8000, PublishMode: 'host' }] },
    });
  }

  /** `docker service update` with `change` applied to the service's current spec. */
  async updateService(
    name: string,
    change: (spec: Docker.ServiceSpec) => Docker.ServiceSpec,
  ): Promise<void> {
    const service = this.docker.getService(name);
    const current = (await service.inspect()) as {
      Version: { Index: number };
      Spec: Docker.ServiceSpec;
    };
    await service.update({ version: current.Version.Index, ...change(current.Spec) });
  }

  /** `docker service scale <name>=<replicas>`. */
  scale(name: string, replicas: number): Promise<void> {
    return this.updateService(name, (spec) => ({
      ...spec,
      Mode: { Replicated: { Replicas: replicas } },
    }));
  }

  /** `docker service update --force --update-order <order>`: every task replaced, one at a time. */
  forceUpdate(name: string, order: 'start-first' | 'stop-first'): Promise<void> {
    return this.updateService(name, (spec) => ({
      ...spec,
      TaskTemplate: {
        ...spec.TaskTemplate,
        ForceUpdate: ((spec.TaskTemplate as { ForceUpdate?: number }).ForceUpdate ?? 0) + 1,
      },
      UpdateConfig: { Parallelism: 1, ...spec.UpdateConfig, Order: order },
    }));
  }

  /** Whether a rolling update of `name` is over (completed, or none ever started). */
  async updateDone(name: string): Promise<boolean> {
    const info = (await this.docker.getService(name).inspect()) as {
      UpdateStatus?: { State?: string };
    };
    const state = info.UpdateStatus?.State;
    return state === undefined || state === 'completed';
  }

  /** The tasks of `name` Swarm wants running and that run. */
  async runningTasks(name: string): Promise<RunningTask[]> {
    const tasks = (await this.docker.listTasks({
      filters: JSON.stringify({ service: [name], 'desired-state': ['running'] }),
    })) as {
      ID: string;
      Status?: {
        State?: string;
        ContainerStatus?: { ContainerID?: string };
        PortStatus?: { Ports?: { PublishedPort?: number }[] };
      };
    }[];
    return tasks
      .filter((task) => task.Status?.State === 'running')
      .map((task) => ({
        id: task.ID,
        hostPort: task.Status?.PortStatus?.Ports?.[0]?.PublishedPort ?? 0,
        container: (task.Status?.ContainerStatus?.ContainerID ?? '').slice(0, 12),
      }));
  }

  async destroy(): Promise<void> {
    if (this.#harness) {
      for (const service of await this.docker.listServices().catch(() => []))
        await this.docker
          .getService(service.ID)
          .remove()
          .catch(() => undefined);
      await this.docker.swarmLeave({ force: true }).catch(() => undefined);
    }
    await this.daemon.destroy();
  }
}
