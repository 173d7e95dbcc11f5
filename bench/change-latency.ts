// How long one change takes to reach an ADS subscriber when its cluster is large (issue 19):
// a host added to or removed from a cluster of 5,000 endpoints, beside the same change to a
// cluster of 10, measured from the registration's PUT being sent to the subscriber receiving
// the cluster's new assignment. This checkout beside an earlier commit (by default the last
// one before issue 19), in one run.
//
// Usage: npm run bench:change-latency [-- --baseline <commit>]   (needs a Docker engine, as
// the agent syncs with it; writes the table into BENCHMARKS.md)
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

import { CLUSTER_LOAD_ASSIGNMENT_TYPE_URL } from '../src/core/type-urls.js';
import { type AdsResponse, createAdsClient } from './support/ads-client.js';
import { type Checkout, compareWithBaseline, describeComparison } from './support/checkouts.js';
import { markdownTable } from './support/markdown-table.js';
import { percentile } from './support/percentile.js';
import { productionCommand } from './support/production-command.js';
import { createService, ipOf, send } from './support/registration-client.js';
import { type ServerProcess, startAgent, untilReady } from './support/server-processes.js';
import { describeMachine, writeBenchmarksSection } from './write-benchmarks-section.js';

/** The last commit before issue 19. */
const DEFAULT_BASELINE = 'fd566ab';
const CLUSTERS = [
  { name: 'large', endpoints: 5_000 },
  { name: 'small', endpoints: 10 },
] as const;
const CHANGES = 200;
const PAUSE_MS = 20;
const TIMEOUT_MS = 5000;
/** Issue 19's target for the 5,000-endpoint cluster. */
const TARGET_P99_MS = 50;

interface Latencies {
  readonly cluster: string;
  readonly endpoints: number;
  /** PUT or DELETE sent → the subscriber has the new assignment. */
  readonly reached: number[];
  /** PUT or DELETE sent → its 2xx. */
  readonly answered: number[];
  /** Changes the subscriber never saw within TIMEOUT_MS. */
  readonly missed: number;
}

interface Measured {
  readonly checkout: Checkout;
  readonly clusters: Latencies[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * An ADS subscriber of `cluster`'s endpoints that acknowledges every response; `next()`
 * resolves with the time the next response arrives (undefined after TIMEOUT_MS).
 */
function subscribe(agent: ServerProcess, cluster: string) {
  const client = createAdsClient(agent.grpcPort ?? 0);
  const call = client.call();
  let waiting: ((at: number | undefined) => void) | undefined;
  const request = {
    node: { id: 'change-latency', cluster: 'bench' },
    type_url: CLUSTER_LOAD_ASSIGNMENT_TYPE_URL,
    resource_names: [cluster],
  };
  call.on('data', (response: AdsResponse) => {
    const at = performance.now();
    call.write({ ...request, version_info: response.version_info, response_nonce: response.nonce });
    waiting?.(at);
    waiting = undefined;
  });
  call.on('error', () => undefined);
  call.write(request);
  return {
    next: () =>
      new Promise<number | undefined>((resolve) => {
        const timer = setTimeout(() => {
          waiting = undefined;
          resolve(undefined);
        }, TIMEOUT_MS);
        waiting = (at) => {
          clearTimeout(timer);
          resolve(at);
        };
      }),
    close() {
      call.cancel();
      client.close();
    },
  };
}

/** CHANGES changes to `cluster`, one at a time: an extra host added, then removed again. */
async function measureCluster(
  agent: ServerProcess,
  { name, endpoints }: (typeof CLUSTERS)[number],
): Promise<Latencies> {
  const subscriber = subscribe(agent, name);
  await subscriber.next(); // the cluster as it is
  const connection = new Agent({ keepAlive: true, maxSockets: 1 });
  const reached: number[] = [];
  const answered: number[] = [];
  let missed = 0;
  const path = `/edsservice/${name}/hosts/${ipOf(endpoints)}:8080`;
  for (let i = 0; i < CHANGES; i++) {
    const arrived = subscriber.next();
    const sent = performance.now();
    const answer = await send(
      agent.restPort,
      connection,
      i % 2 === 0 ? 'PUT' : 'DELETE',
      path,
      i % 2 === 0 ? '{}' : undefined,
    );
    if (answer.status < 200 || answer.status >= 300)
      throw new Error(`change ${i}: ${answer.status} ${answer.text}`);
    answered.push(answer.ms);
    const at = await arrived;
    if (at === undefined) missed += 1;
    else reached.push(at - sent);
    await sleep(PAUSE_MS);
  }
  connection.destroy();
  subscriber.close();
  return { cluster: name, endpoints, reached, answered, missed };
}

async function measure(checkout: Checkout): Promise<Measured> {
  const stateDir = mkdtempSync(join(tmpdir(), 'eds-agent-change-latency-'));
  const agent = await startAgent(checkout.label, productionCommand(checkout.dir).v8Flags, {
    dir: checkout.dir,
    args: [
      ...['--label-prefix', `latency${process.pid}`],
      ...['--state-file', join(stateDir, 'state.json')],
    ],
  });
  try {
    await untilReady(agent);
    for (const cluster of CLUSTERS)
      await createService(agent.restPort, cluster.name, cluster.endpoints);
    const clusters: Latencies[] = [];
    for (const cluster of CLUSTERS) {
      process.stderr.write(`${checkout.label}: ${cluster.endpoints} endpoints ...\n`);
      clusters.push(await measureCluster(agent, cluster));
    }
    return { checkout, clusters };
  } finally {
    await agent.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

function toTable(runs: readonly Measured[]): string {
  const ms = (values: number[], p: number) => percentile(values, p).toFixed(1);
  const rows = runs.flatMap(({ checkout, clusters }) =>
    clusters.map(({ endpoints, reached, answered, missed }) => {
      const p99 = ms(reached, 99);
      const judged =
        endpoints === CLUSTERS[0].endpoints && Number(p99) > TARGET_P99_MS ? `**${p99}**` : p99;
      return [
        checkout.label,
        endpoints.toLocaleString('en'),
        ms(reached, 50),
        judged,
        ms(reached, 100),
        `${ms(answered, 50)} / ${ms(answered, 99)}`,
        `${missed > 0 ? `**${missed}**` : missed} of ${CHANGES}`,
      ];
    }),
  );
  return markdownTable(
    [
      ...['agent', 'endpoints in the cluster', 'change → subscriber, p50 ms', 'p99 ms', 'max ms'],
      ...['change → its 2xx, p50 / p99 ms', 'changes not seen within 5 s'],
    ],
    rows,
  );
}

async function main(): Promise<void> {
  await compareWithBaseline(DEFAULT_BASELINE, async ({ baseline, before, current }) => {
    const runs = [await measure(before), await measure(current)];
    writeBenchmarksSection(
      'change-latency',
      [
        '## One change to a large cluster',
        '',
        describeComparison('bench:change-latency', 'bench/change-latency.ts', baseline),
        'Each agent is the production build with a state file (each',
        'change fsynced before its 2xx). An ADS subscriber (state of the world, acknowledging',
        `every response) follows one cluster; ${CHANGES} changes, one at a time ${PAUSE_MS} ms apart, add an extra`,
        'host to it and remove it again, each timed from its request being sent to the',
        "subscriber receiving the cluster's new assignment. The same for a cluster of 10.",
        `Target (issue 19): p99 ≤ ${TARGET_P99_MS} ms for ${CLUSTERS[0].endpoints.toLocaleString('en')} endpoints.`,
        `Measured ${new Date().toISOString().slice(0, 10)} on ${describeMachine()}.`,
        '',
        toTable(runs),
      ].join('\n'),
    );
  });
}

await main();
