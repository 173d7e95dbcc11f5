// The well-behaved clients of the hostile-input benchmark, in a process of their own so that
// what they measure is the agent, not the attacker's event loop: an Envoy polling over REST,
// a liveness probe and a new Envoy opening an ADS stream, each once every 10 ms, one at a time,
// until the parent says stop; then their samples go to the parent. Started by
// `startWellBehavedClients` (well-behaved-clients.ts).
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';

import { CLUSTER_LOAD_ASSIGNMENT_TYPE_URL } from '../../src/core/type-urls.js';
import { createAdsClient } from './ads-client.js';
import type { ClientKind, Sample } from './well-behaved-clients.js';

const PAUSE_MS = 10;
const TIMEOUT_MS = 3000;
const [restPort, grpcPort, cluster] = [
  Number(process.argv[2]),
  Number(process.argv[3]),
  process.argv[4] ?? 'web',
];

/** One HTTP exchange on `agent`; true when answered `expected` within the timeout. */
function exchange(
  agent: Agent,
  method: string,
  path: string,
  body: string | undefined,
  expected: number,
): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port: restPort, method, path, agent, timeout: TIMEOUT_MS },
      (res) => {
        res.resume();
        res.on('end', () => {
          resolve(res.statusCode === expected);
        });
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => {
      resolve(false);
    });
    if (body !== undefined) req.setHeader('content-type', 'application/json');
    req.end(body);
  });
}

const pollAgent = new Agent({ keepAlive: true, maxSockets: 1 });
const probeAgent = new Agent({ keepAlive: true, maxSockets: 1 });
const poll = JSON.stringify({
  node: { id: 'well-behaved-poller', cluster: 'bench' },
  resource_names: [cluster],
  type_url: CLUSTER_LOAD_ASSIGNMENT_TYPE_URL,
});
const ads = createAdsClient(grpcPort);

/** A new ADS stream asking for the cluster; true when its first response came within the timeout. */
function openStream(): Promise<boolean> {
  return new Promise((resolve) => {
    const call = ads.call();
    const timer = setTimeout(() => {
      call.cancel();
      resolve(false);
    }, TIMEOUT_MS);
    call.on('data', () => {
      clearTimeout(timer);
      call.cancel();
      resolve(true);
    });
    call.on('error', (error: { code?: number }) => {
      clearTimeout(timer);
      // Cancelled after its answer is not a failure; anything else is.
      resolve(error.code === 1);
    });
    call.write({
      node: { id: 'well-behaved-ads', cluster: 'bench' },
      type_url: CLUSTER_LOAD_ASSIGNMENT_TYPE_URL,
      resource_names: [cluster],
    });
  });
}

const probes: Record<ClientKind, () => Promise<boolean>> = {
  'REST poll': () => exchange(pollAgent, 'POST', '/v3/discovery:endpoints', poll, 200),
  '/healthz': () => exchange(probeAgent, 'GET', '/healthz', undefined, 200),
  'new ADS stream': openStream,
};

let stopping = false;
const samples: Sample[] = [];
const loops = Object.entries(probes).map(async ([kind, probe]) => {
  while (!stopping) {
    const started = performance.now();
    const ok = await probe();
    samples.push({
      kind: kind as ClientKind,
      at: performance.timeOrigin + started,
      ms: performance.now() - started,
      ok,
    });
    await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
  }
});
process.on('message', (message) => {
  if (message !== 'stop') return;
  stopping = true;
  void Promise.all(loops).then(() => {
    ads.close();
    pollAgent.destroy();
    probeAgent.destroy();
    process.send?.(samples, () => process.exit(0));
  });
});
process.send?.('started');
