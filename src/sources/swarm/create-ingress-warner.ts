import type { Logger } from 'pino';

import type { DockerService } from '../engine/docker-json.js';
import { ingressPorts } from './to-task-record.js';

/**
 * Ingress ports go through the routing mesh, and Envoy should balance the tasks themselves:
 * the returned function warns of each labelled service that publishes some, once per set of
 * ports.
 */
export function createIngressWarner(logger: Logger): (services: readonly DockerService[]) => void {
  /** Services already warned of, with the ports warned of. */
  const warned = new Map<string, string>();
  return (services) => {
    for (const service of services) {
      const ports = ingressPorts(service).join(', ');
      if (ports === '' || warned.get(service.ID) === ports) continue;
      warned.set(service.ID, ports);
      logger.warn(
        { service: service.Spec?.Name, ingressPorts: ports },
        `service ${service.Spec?.Name ?? service.ID} publishes ${ports} on the routing mesh (mode=ingress): those ports are not endpoints, since Envoy should balance the tasks, not the mesh; its tasks are served at their own addresses (publish with mode=host for --address-mode host)`,
      );
    }
  };
}
