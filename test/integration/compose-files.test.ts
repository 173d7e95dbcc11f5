import { describe, expect, it } from 'vitest';

import { compose, findComposes } from '../support/compose.js';
import { REPO_ROOT, repoFiles } from '../support/repo-files.js';
import { lacks } from '../support/test-tools.js';

const FILES = repoFiles(/(^|\/)docker-compose\.ya?ml$|^test\/fixtures\/compose\/[^/]+\.ya?ml$/);
const COMPOSES = await findComposes();

describe('every compose file in the repo', () => {
  it('includes the stack and every example', () => {
    expect(FILES).toEqual([
      'docker-compose.yml',
      'examples/ads-grpc/docker-compose.yml',
      'examples/front-door/docker-compose.yml',
      'examples/grpc-behind-envoy/docker-compose.yml',
      'examples/host-mode/docker-compose.yml',
      'examples/label-routing/docker-compose.yml',
      'examples/proxyless-grpc/docker-compose.yml',
      'examples/several-engines/docker-compose.yml',
      'examples/socket-proxy/docker-compose.yml',
      'examples/tutorial-rest-eds/docker-compose.yml',
      'test/fixtures/compose/scaling.yml',
    ]);
  });

  it
    .skipIf(lacks('compose'))
    .each(COMPOSES.flatMap((found) => FILES.map((file) => [file, found.version, found] as const)))(
    '%s passes `compose config` with Compose %s',
    async (file, _version, command) => {
      const env = {
        ...{ EDS_TEST_IMAGE: 'image', EDS_TEST_CLUSTER: 'web', EDS_TEST_RUN: 'config' },
        // What every stack with the agent asks for: the socket's group (never group 0).
        DOCKER_GID: '999',
        // What examples/several-engines asks its user for.
        ...{ LOCAL_IP: '192.0.2.10', EDGE_HOST: '192.0.2.20', EDGE_CERTS: '/tmp' },
      };
      await expect(
        compose(command, 'edsconfig', `${REPO_ROOT}${file}`, ['config', '--quiet'], env),
      ).resolves.toBeUndefined();
    },
  );
});
