// Fan-out over gRPC ADS: 1,000 state-of-the-world streams (simulated Envoys), each subscribed
// to the endpoints of 10 of 100 clusters. One cluster changes at a time; measured: how long
// until every stream subscribed to it has the new assignment, the server's CPU time per
// change, and its RSS with the streams open. Server (the agent's store and gRPC server) and
// clients run in separate processes (two cores: one each).
//
// Usage: npm run bench:fanout   (writes the table into BENCHMARKS.md)
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';

import { createSnapshotStore } from '../src/snapshot-store.js';
import { loadEnvoyProtos, XDS_PROTO_FILES } from '../src/transports/grpc/load-envoy-protos.js';
import {
  ENDPOINTS_TYPE_URL,
  startGrpcServer,
  toServiceDefinition,
} from '../src/transports/grpc/start-grpc-server.js';
import { anEndpoint } from '../test/support/records.js';
import { describeMachine, writeBenchmarksSection } from './write-benchmarks-section.js';

const STREAMS = 1000;
const CLUSTERS = 100;
const PER_STREAM = 10;
const CHANNELS = 10;
const CHANGES = 20;
const ENDPOINTS_PER_CLUSTER = 3;

const clusterName = (index: number) => `svc-${index}`;
/** The clusters stream `index` subscribes to: 10 distinct ones, each cluster by 100 streams. */
const subscriptionOf = (index: number) =>
  Array.from({ length: PER_STREAM }, (_, k) => clusterName((index + k * 10) % CLUSTERS));

interface ServerReport {
  readonly rssMb: number;
  readonly cpuMs: number;
  readonly streams: number;
}

/** Child: the store and the gRPC server; applies changes and reports usage on request. */
async function serve(): Promise<void> {
  const store = createSnapshotStore();
  const endpoints = (cluster: string, generation: number) =>
    Array.from({ length: ENDPOINTS_PER_CLUSTER }, (_, i) =>
      anEndpoint({ cluster, address: `10.${generation % 250}.${i}.1` }),
    );
  store.apply(
    Array.from(
      { length: CLUSTERS },
      (_, i) => [`docker:${i}`, endpoints(clusterName(i), 0)] as const,
    ),
  );
  const server = await startGrpcServer({
    store,
    logger: pino({ level: 'silent' }),
    bind: '127.0.0.1',
    port: 0,
  });
  if (!server.ok) throw new Error(server.problems.join());
  let generation = 0;
  process.on('message', (message: { change?: number; report?: boolean }) => {
    if (message.change !== undefined) {
      generation += 1;
      store.apply([
        [`docker:${message.change}`, endpoints(clusterName(message.change), generation)],
      ]);
    }
    if (message.report) {
      const report: ServerReport = {
        rssMb: process.memoryUsage().rss / 1e6,
        cpuMs: (process.cpuUsage().user + process.cpuUsage().system) / 1000,
        streams: server.value.stats().streams,
      };
      process.send?.(report);
    }
  });
  process.send?.({ port: server.value.port });
}

async function main(): Promise<void> {
  const server = fork(fileURLToPath(import.meta.url), ['serve'], { execArgv: ['--import', 'tsx'] });
  const [{ port }] = (await once(server, 'message')) as [{ port: number }];
  const ask = async (): Promise<ServerReport> => {
    server.send({ report: true });
    const [report] = (await once(server, 'message')) as [ServerReport];
    return report;
  };

  const root = loadEnvoyProtos(XDS_PROTO_FILES);
  const Client = grpc.makeGenericClientConstructor(
    toServiceDefinition(
      root,
      '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources',
      'call',
      'sotw',
    ),
    'Ads',
  );
  const channels = Array.from(
    { length: CHANNELS },
    (_, i) =>
      new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
        'grpc.use_local_subchannel_pool': 1,
        'grpc.channel_id': i,
      }) as unknown as { call: () => grpc.ClientDuplexStream<object, Response> } & grpc.Client,
  );
  type Response = { nonce: string; version_info: string; resources?: unknown[] };
  /** Per stream: when it last received a response. */
  const receivedAt = new Float64Array(STREAMS);
  let initial = 0;
  const calls = Array.from({ length: STREAMS }, (_, index) => {
    const call = channels[index % CHANNELS]?.call();
    if (!call) throw new Error('no channel');
    let first = true;
    call.on('data', (response: Response) => {
      receivedAt[index] = performance.now();
      if (first) {
        first = false;
        initial += 1;
      }
      call.write({
        type_url: ENDPOINTS_TYPE_URL,
        resource_names: subscriptionOf(index),
        version_info: response.version_info,
        response_nonce: response.nonce,
      });
    });
    call.on('error', () => undefined);
    call.write({
      node: { id: `envoy-${index}`, cluster: 'bench' },
      type_url: ENDPOINTS_TYPE_URL,
      resource_names: subscriptionOf(index),
    });
    return call;
  });
  const started = performance.now();
  while (initial < STREAMS && performance.now() - started < 60_000)
    await new Promise((resolve) => setTimeout(resolve, 50));
  const openedMs = performance.now() - started;
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const before = await ask();

  const latencies: number[] = [];
  const slowest: number[] = [];
  for (let change = 0; change < CHANGES; change++) {
    const cluster = (change * 37) % CLUSTERS;
    const subscribers = Array.from({ length: STREAMS }, (_, i) => i).filter((i) =>
      subscriptionOf(i).includes(clusterName(cluster)),
    );
    const sent = performance.now();
    server.send({ change: cluster });
    while (
      subscribers.some((i) => (receivedAt[i] ?? 0) < sent) &&
      performance.now() - sent < 10_000
    )
      await new Promise((resolve) => setImmediate(resolve));
    const each = subscribers.map((i) => (receivedAt[i] ?? Infinity) - sent);
    latencies.push(...each);
    slowest.push(Math.max(...each));
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const after = await ask();
  for (const call of calls) call.cancel();
  for (const channel of channels) channel.close();
  server.kill();

  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (values: number[], q: number) =>
    values[Math.min(values.length - 1, Math.ceil(q * values.length) - 1)] ?? NaN;
  const ms = (value: number) => value.toFixed(1);
  slowest.sort((a, b) => a - b);
  writeBenchmarksSection(
    'xds-fanout',
    [
      '## Fan-out over gRPC ADS',
      '',
      "Command: `npm run bench:fanout` (bench/xds-fanout.ts). The agent's store and gRPC server in one",
      `process; in another, ${STREAMS.toLocaleString('en')} state-of-the-world ADS streams (over ${CHANNELS} HTTP/2`,
      `connections), each subscribed to the endpoints of ${PER_STREAM} of ${CLUSTERS} clusters (${ENDPOINTS_PER_CLUSTER} endpoints each), so`,
      `each cluster has ${(STREAMS * PER_STREAM) / CLUSTERS} subscribers; every response is decoded and ACKed. ${CHANGES} changes, one`,
      `cluster at a time; a stream "has it" when its response arrives. Measured`,
      `${new Date().toISOString().slice(0, 10)} on ${describeMachine()}.`,
      '',
      '| measure | value |',
      '|---|---|',
      `| streams open, all answered once | ${before.streams} in ${ms(openedMs)} ms |`,
      `| change → a subscribed stream has it, p50 / p99 | ${ms(at(sorted, 0.5))} / ${ms(at(sorted, 0.99))} ms |`,
      `| change → every subscribed stream has it, p50 / p99 of ${CHANGES} changes | ${ms(at(slowest, 0.5))} / ${ms(at(slowest, 0.99))} ms |`,
      `| server CPU time per change (user + system) | ${ms((after.cpuMs - before.cpuMs) / CHANGES)} ms |`,
      `| server RSS with the streams open | ${before.rssMb.toFixed(0)} MB |`,
    ].join('\n'),
  );
}

if (process.argv[2] === 'serve') await serve();
else await main();
