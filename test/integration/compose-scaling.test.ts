import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startTestAgent, type TestAgent } from '../support/agent-harness.js';
import { type Compose, compose, findComposes } from '../support/compose.js';
import { DockerHarness } from '../support/docker-harness.js';
import { eventually } from '../support/eventually.js';
import { lacks } from '../support/test-tools.js';

const FILE = fileURLToPath(new URL('../fixtures/compose/scaling.yml', import.meta.url));
const COMPOSES = await findComposes();

// CI runs both; users have v2 (`docker compose`), Debian packages v1 (`docker-compose`).
describe('the Compose versions here', () => {
  it.runIf(process.env.CI === 'true')('are both v2 and v1 in CI', () => {
    expect(COMPOSES.map((found) => found.version)).toEqual(['v2', 'v1']);
  });
});

// `docker compose up --scale` is the user story: Envoy's cluster follows the service's
// replica count with no registration by hand.
const MISSING_TOOLS = lacks('docker', 'busybox', 'compose');
describe.skipIf(MISSING_TOOLS).each(COMPOSES)(
  'scaling a compose service with Compose $version',
  (command: Compose) => {
    const docker = new DockerHarness();
    const project = `eds${docker.runId}`;
    const cluster = `web-${docker.runId}`;
    const env = {
      EDS_TEST_IMAGE: docker.image,
      EDS_TEST_CLUSTER: cluster,
      EDS_TEST_RUN: docker.runId,
    };
    let agent: TestAgent;

    beforeAll(async () => {
      await docker.buildImage();
      agent = await startTestAgent([]);
    });
    afterAll(async () => {
      await agent.stop();
      await compose(command, project, FILE, ['down', '--timeout', '0'], env).catch(() => undefined);
      await docker.cleanup();
    });

    /** What Envoy should see: every running replica at its IP on the project's network. */
    const replicas = async (): Promise<string[]> => {
      const running = await docker.listRunContainers([`com.docker.compose.project=${project}`]);
      return running
        .filter((info) => info.State === 'running')
        .map(
          (info) =>
            `${info.NetworkSettings.Networks[`${project}_default`]?.IPAddress ?? '?'}:8000 HEALTHY`,
        )
        .sort();
    };

    it('follows --scale web=5 and back to --scale web=1', async () => {
      await compose(command, project, FILE, ['up', '-d', '--scale', 'web=5'], env);
      const five = await replicas();
      expect(five).toHaveLength(5);
      await eventually(
        'Envoy sees the five replicas',
        () => agent.endpoints(cluster),
        (e) => e.join() === five.join(),
      );

      await compose(
        command,
        project,
        FILE,
        ['up', '-d', '--scale', 'web=1', '--timeout', '1'],
        env,
      );
      const one = await replicas();
      expect(one).toHaveLength(1);
      await eventually(
        'Envoy sees the one replica left',
        () => agent.endpoints(cluster),
        (e) => e.join() === one.join(),
      );
    });
  },
);
