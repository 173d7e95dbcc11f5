import { describe, expect, it } from 'vitest';

import { settleTcpPorts } from '../../src/core/envoy/settle-tcp-ports.js';
import {
  applyClusterEndpoints,
  EMPTY_SNAPSHOT,
  type Snapshot,
} from '../../src/core/index/snapshot.js';
import { DEFAULT_SERVICE_OPTIONS } from '../../src/core/labels/service-options.js';
import { anEndpoint } from '../support/records.js';

/** `snapshot` with `cluster` served by one container created at `since`, asking for `tcpPort`. */
const serve = (snapshot: Snapshot, cluster: string, tcpPort: number, since: number) =>
  applyClusterEndpoints(snapshot, [
    [
      cluster,
      [
        anEndpoint({
          cluster,
          address: `10.0.0.${since}`,
          since,
          serviceOptions: { ...DEFAULT_SERVICE_OPTIONS, tcp_port: tcpPort },
        }),
      ],
    ],
  ]);
const listening = (snapshot: Snapshot) =>
  [...snapshot.services]
    .filter(([, resources]) => resources.tcpListener !== undefined)
    .map(([name]) => name);

describe('TCP ports claimed by labels', () => {
  // The attack: a second service labelled with a port another holds made Envoy refuse the
  // whole listener update, every service's.
  it('gives a port to the service that claimed it first, and the other no listener', () => {
    const first = serve(EMPTY_SNAPSHOT, 'db', 15432, 1);
    const both = serve(first.snapshot, 'a-thief', 15432, 2);
    expect(listening(both.snapshot)).toEqual(['db']);
    expect(both.snapshot.routes.conflicts.map((conflict) => conflict.message)).toEqual([
      'TCP port 15432 is claimed by services db and a-thief; listening for db (it claimed it first)',
    ]);
    // The holder goes: the port is handed over, and Envoy is told of the listener.
    const handed = applyClusterEndpoints(both.snapshot, [['db', []]]);
    expect(listening(handed.snapshot)).toEqual(['a-thief']);
    expect(handed.change.services).toContain('a-thief');
    expect(handed.snapshot.routes.conflicts).toEqual([]);
  });

  it('settles equal ages by sort order, and leaves other ports alone', () => {
    const claim = (service: string, port: number, since?: number) => ({
      service,
      options: { ...DEFAULT_SERVICE_OPTIONS, tcp_port: port },
      ...(since === undefined ? {} : { since }),
    });
    const settled = settleTcpPorts([
      claim('b', 15000, 5),
      claim('a', 15000, 5),
      claim('c', 16000),
      claim('d', 16000, 9),
    ]);
    expect([...settled.listening].sort()).toEqual(['a', 'd']);
    expect(settled.conflicts.map((conflict) => conflict.message)).toEqual([
      'TCP port 15000 is claimed by services a and b; listening for a (first in sort order)',
      'TCP port 16000 is claimed by services d and c; listening for d (it claimed it first)',
    ]);
  });
});
