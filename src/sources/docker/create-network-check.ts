import type { Logger } from 'pino';

import type { DockerClient } from '../engine/docker-client.js';

/**
 * `--network` names a network the containers' addresses come from: the returned check says,
 * once per change, when the engine has no such network and when it has one again.
 */
export function createNetworkCheck(
  client: DockerClient,
  network: string | undefined,
  logger: Logger,
): (signal: AbortSignal) => Promise<void> {
  let missing = false;
  return async (signal) => {
    if (network === undefined) return;
    const now = !(await client.listNetworkNames(signal)).includes(network);
    if (now && !missing) {
      logger.warn(
        { network },
        `--network ${network}: the Docker engine has no such network (yet); containers not on it are served at their first network`,
      );
    } else if (!now && missing) {
      logger.info({ network }, `--network ${network} now exists`);
    }
    missing = now;
  };
}
