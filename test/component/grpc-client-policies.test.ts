import { afterEach, describe, expect, it } from 'vitest';

import type { LbPolicy } from '../../src/core/labels/option-values.js';
import { eventually, holdsFor } from '../support/eventually.js';
import { anEndpoint } from '../support/records.js';
import { CDS, closeAll, startServer } from '../support/xds-test-client.js';

// Proxyless gRPC clients refuse some load-balancing policies that Envoy takes (grpc-js takes
// round_robin and ring_hash, grpc-go least_request too): a cluster with another is NACKed and
// every call to the service fails. The agent knows the clients by the user_agent_name of their
// node, and says so in its log the moment one subscribes to such a cluster.

afterEach(closeAll);

const WARNING = 'a gRPC client subscribed to a cluster whose policy it refuses';

async function subscribe(userAgent: string, policy: LbPolicy) {
  const { store, connect, logs } = await startServer();
  const labelled = (lbPolicy: LbPolicy) =>
    [
      ['docker:a', [anEndpoint({ address: '10.0.0.1', serviceOptions: { lb_policy: lbPolicy } })]],
    ] as const;
  store.apply(labelled(policy));
  const stream = connect();
  stream.send({
    type_url: CDS,
    resource_names: ['web'],
    node: { id: `client-${userAgent}`, cluster: 'tests', user_agent_name: userAgent },
  });
  await stream.next();
  const warnings = () => logs.filter((line) => line.msg.startsWith(WARNING));
  return { store, warnings, relabel: (lbPolicy: LbPolicy) => store.apply(labelled(lbPolicy)) };
}

describe('a proxyless gRPC client subscribing to a cluster whose policy it refuses', () => {
  it.each([
    [
      'gRPC Go',
      'RANDOM',
      'grpc-go refuses lb_policy random (it takes round_robin, ring_hash, least_request)',
    ],
    ['gRPC Go', 'MAGLEV', 'grpc-go refuses lb_policy maglev'],
    [
      'gRPC Node Pure JS',
      'LEAST_REQUEST',
      'grpc-js refuses lb_policy least_request (it takes round_robin, ring_hash)',
    ],
  ] as const)(
    '%s with %s: the log says so once, naming the node and the cluster',
    async (agent, policy, why) => {
      const { warnings } = await subscribe(agent, policy);
      await eventually('the warning', warnings, (lines) => lines.length === 1);
      expect(warnings()[0]).toMatchObject({
        node: `client-${agent}`,
        cluster: 'web',
        lbPolicy: policy.toLowerCase(),
      });
      expect(warnings()[0]?.msg).toContain(why);
    },
  );

  it.each([
    ['gRPC Go', 'LEAST_REQUEST'],
    ['gRPC Node Pure JS', 'RING_HASH'],
    ['envoy', 'MAGLEV'],
    ['gRPC Java', 'RANDOM'],
  ] as const)('%s with %s: nothing to say', async (agent, policy) => {
    const { warnings } = await subscribe(agent, policy);
    await holdsFor('no warning', warnings, (said) => said.length === 0, 50, 10);
  });

  it('warns when the labels change the policy of a cluster already subscribed to', async () => {
    const { warnings, relabel } = await subscribe('gRPC Node Pure JS', 'ROUND_ROBIN');
    expect(warnings()).toEqual([]);
    relabel('RANDOM');
    await eventually('the warning', warnings, (lines) => lines.length === 1);
    expect(warnings()[0]).toMatchObject({ cluster: 'web', lbPolicy: 'random' });
  });
});
