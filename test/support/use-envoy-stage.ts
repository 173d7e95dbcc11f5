import type { Container } from 'dockerode';
import { afterAll, beforeAll } from 'vitest';

import { parseConfig } from '../../src/config/parse-config.js';
import { buildBootstrap } from '../../src/core/front-door/build-bootstrap.js';
import { agentRoutes, toAdsBootstrap } from './ads-bootstrap.js';
import { startTestAgent, type TestAgent } from './agent-harness.js';
import { type ContainerSpec, DockerHarness } from './docker-harness.js';
import { toTestBootstrap } from './envoy-bootstrap.js';
import type { EnvoyUnderTest } from './envoy-process.js';
import { useEnvoys } from './use-envoys.js';

/** What an Envoy scenario stands on; see `useEnvoyStage`. */
export interface EnvoyStage {
  readonly docker: DockerHarness;
  /** The agent under test, in `--address-mode host` (available once `beforeAll` has run). */
  readonly agent: TestAgent;
  /** A service name for `scenario`, unique to this run, so leftovers of other runs never match. */
  readonly serviceFor: (scenario: string) => string;
  /**
   * Starts a container of `service` that answers on port 8000 (published on 127.0.0.1) with
   * its short id, unless `spec.cmd` says otherwise; `labels` add to `eds.service`/`eds.port`.
   */
  readonly upstream: (
    service: string,
    labels?: Record<string, string>,
    spec?: ContainerSpec,
  ) => Promise<Container>;
  /** A real Envoy running examples/host-mode/envoy.yaml against the agent, asking for `service`; stopped after the test. */
  readonly envoyFor: (service: string) => Promise<EnvoyUnderTest>;
  /**
   * A real Envoy fed over ADS by the agent with everything: clusters, endpoints, and the
   * routes of its listener (RDS, the agent's route configuration); stopped after the test.
   */
  readonly envoyRoutedByAgent: (options?: {
    listenersFromAgent?: boolean;
  }) => Promise<EnvoyUnderTest>;
  /** A real Envoy started with `bootstrap` as it is; stopped after the test. */
  readonly envoyWith: (bootstrap: unknown) => Promise<EnvoyUnderTest>;
  /**
   * A real Envoy started with what `eds-agent bootstrap` prints for the agent (admin on a
   * free loopback port), and nothing else: its listeners come from the agent's front door.
   */
  readonly envoyFromBootstrap: () => Promise<EnvoyUnderTest>;
}

/** What `eds-agent bootstrap` prints for an agent whose gRPC server is on `grpcPort` of loopback. */
export function agentBootstrap(grpcPort: number): object {
  const parsed = parseConfig(
    [
      'bootstrap',
      ...['--xds-address', `127.0.0.1:${grpcPort}`],
      ...['--envoy-admin', '127.0.0.1:0'],
    ],
    {},
  );
  if (!parsed.ok || parsed.value.kind !== 'bootstrap') throw new Error(JSON.stringify(parsed));
  return buildBootstrap(parsed.value.bootstrap);
}

/**
 * The stage of the Envoy scenarios, for the enclosing `describe`: the test image, the agent
 * in-process in host mode (with `agentArgs` besides, or what it resolves to in `beforeAll`), and Envoys on the host fed by it. Traffic stays on loopback: Envoy
 * listens on 127.0.0.1 and dials the ports the containers publish there. Everything is
 * removed after the last test.
 */
export function useEnvoyStage(
  agentArgs: readonly string[] | (() => Promise<readonly string[]>) = [],
): EnvoyStage {
  const docker = new DockerHarness();
  const envoys = useEnvoys();
  let agent: TestAgent | undefined;

  beforeAll(async () => {
    await docker.buildImage();
    const args = typeof agentArgs === 'function' ? await agentArgs() : agentArgs;
    agent = await startTestAgent(['--address-mode', 'host', ...args]);
  });
  afterAll(async () => {
    await agent?.stop();
    await docker.cleanup();
  });

  const started = (): TestAgent => {
    if (!agent) throw new Error('the agent starts in beforeAll');
    return agent;
  };
  return {
    docker,
    get agent() {
      return started();
    },
    serviceFor: (scenario) => `${scenario}-${docker.runId}`,
    upstream: (service, labels = {}, spec = {}) =>
      docker.run({
        ...spec,
        labels: { 'eds.service': service, 'eds.port': '8000', ...labels },
        publishLoopback: [8000],
      }),
    envoyFor: (service) =>
      envoys.start(toTestBootstrap({ agentPort: started().port, serviceName: service })),
    envoyWith: (bootstrap) => envoys.start(bootstrap),
    envoyFromBootstrap: () => envoys.start(agentBootstrap(started().agent.grpcPort ?? 0)),
    envoyRoutedByAgent: (options = {}) => {
      const port = started().agent.grpcPort;
      if (port === undefined) throw new Error('the agent runs without its gRPC server');
      return envoys.start(toAdsBootstrap(port, 'GRPC', agentRoutes(), options));
    },
  };
}
