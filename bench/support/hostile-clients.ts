// The hostile clients of issue 19, each as one function that does its worst to an agent and
// says in a few words how the agent answered. bench/hostile-inputs.ts runs them one after the
// other while well-behaved clients measure what they cost everyone else.
import { Agent } from 'node:http';
import * as http2 from 'node:http2';
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';

import * as grpc from '@grpc/grpc-js';

import { CLUSTER_LOAD_ASSIGNMENT_TYPE_URL } from '../../src/core/type-urls.js';
import {
  DISCOVERY_MESSAGES,
  loadEnvoyProtos,
} from '../../src/transports/grpc/load-envoy-protos.js';
import { openRawGrpcStream, sendRawHttp } from '../../test/support/fuzz-target.js';
import { percentile } from './percentile.js';
import { ipOf, putHost, send } from './registration-client.js';

/** Where the agent under attack listens. */
export interface Target {
  readonly restPort: number;
  readonly grpcPort: number;
}

/** One hostile input: what it is, and what it does, resolving with how the agent answered. */
export interface HostileClient {
  readonly name: string;
  run(target: Target): Promise<string>;
}

/** The service `putsIntoALargeService` writes into, created with this many hosts first. */
export const LARGE_SERVICE = { name: 'large', hosts: 4300 } as const;

const ADS_PATH = '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources';
const grpcStatusName = (code: number) => grpc.status[code] ?? String(code);

/** Counts of each distinct value, as `3 × INVALID_ARGUMENT, 1 × OK`. */
function tally(values: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return [...counts].map(([value, count]) => `${count} × ${value}`).join(', ');
}

const sotwRequest = loadEnvoyProtos().lookupType(DISCOVERY_MESSAGES.sotw.request);

/** The bytes of an ADS request for EDS `names`: encoded before the clock starts, by a lean client. */
const askFor = (names: readonly string[]) =>
  Buffer.from(
    sotwRequest
      .encode({ type_url: CLUSTER_LOAD_ASSIGNMENT_TYPE_URL, resource_names: names })
      .finish(),
  );

/** A gRPC client that sends and receives bytes as they are: what it costs itself stays small. */
const rawClient = (port: number) =>
  new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
    'grpc.max_receive_message_length': -1,
  });

/**
 * Opens an ADS stream on `client`, sends `request`, and resolves with how it ended or was first
 * answered (a response, or a status) and when, within `timeoutMs`.
 */
function askOnce(client: grpc.Client, request: Buffer, timeoutMs: number): Promise<string> {
  const started = performance.now();
  return new Promise((resolve) => {
    const call = client.makeBidiStreamRequest(
      ADS_PATH,
      (bytes: Buffer) => bytes,
      (bytes: Buffer) => bytes,
    );
    const done = (what: string) => {
      clearTimeout(timer);
      call.cancel();
      resolve(`${what} in ${Math.round(performance.now() - started)} ms`);
    };
    const timer = setTimeout(() => {
      done('no answer');
    }, timeoutMs);
    call.on('data', () => {
      done('a response');
    });
    call.on('error', (error: grpc.ServiceError) => {
      done(grpcStatusName(error.code));
    });
    call.write(request);
  });
}

/** `count` ADS requests, one after the other, each for `names` EDS names no cluster has. */
function unknownNames(names: number, count: number): HostileClient {
  return {
    name: `${count} ADS requests of ${names.toLocaleString('en')} unknown names each`,
    async run({ grpcPort }) {
      const client = rawClient(grpcPort);
      const answers: string[] = [];
      for (let i = 0; i < count; i++) {
        const request = askFor(Array.from({ length: names }, (_, k) => `unknown-${i}-${k}`));
        answers.push(await askOnce(client, request, 30_000));
      }
      client.close();
      return answers.join('; ');
    },
  };
}

/** `streams` ADS streams at once, each asking for `names` unknown names: as much as the bound allows. */
function namesAtTheBound(streams: number, names: number): HostileClient {
  return {
    name: `${streams} ADS streams of ${names.toLocaleString('en')} unknown names each, at once`,
    async run({ grpcPort }) {
      const client = rawClient(grpcPort);
      const requests = Array.from({ length: streams }, (_, i) =>
        askFor(Array.from({ length: names }, (_, k) => `bound-${i}-${k}`)),
      );
      const answers = await Promise.all(
        requests.map((request) => askOnce(client, request, 30_000)),
      );
      client.close();
      return tally(answers.map((answer) => answer.replace(/ in \d+ ms$/, '')));
    },
  };
}

/** `polls` REST polls, `concurrency` at a time, each with a distinct node id of `idBytes`. */
function bigNodeIds(polls: number, idBytes: number, concurrency: number): HostileClient {
  return {
    name: `${polls} REST polls with distinct ${idBytes / 1e6} MB node ids`,
    async run({ restPort }) {
      const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
      const statuses: string[] = [];
      let next = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          for (let i = next++; i < polls; i = next++) {
            const body = JSON.stringify({
              node: { id: `${i}-`.padEnd(idBytes, 'n'), cluster: 'hostile' },
              resource_names: ['web'],
            });
            const answer = await send(restPort, agent, 'POST', '/v3/discovery:endpoints', body);
            statuses.push(String(answer.status));
          }
        }),
      );
      agent.destroy();
      return tally(statuses);
    },
  };
}

/** An HTTP/2 connection to the agent's gRPC port from 127.0.0.2 (not the well-behaved clients' address). */
function connectFromAnotherAddress(grpcPort: number) {
  const socket = connect({ host: '127.0.0.1', port: grpcPort, localAddress: '127.0.0.2' });
  const session = http2.connect(`http://127.0.0.1:${grpcPort}`, { createConnection: () => socket });
  session.on('error', () => undefined);
  return { session, socket };
}

/** How many gRPC streams the agent has open, by its /metrics. */
async function openStreams(restPort: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${restPort}/metrics`)).text();
  let open = 0;
  for (const [, count] of text.matchAll(/^eds_agent_grpc_streams\{[^}]*\} (\d+)$/gm))
    open += Number(count);
  return open;
}

/** Opens an ADS stream on `session` that sends nothing: it holds its place until it ends. */
const openIdleStream = (session: http2.ClientHttp2Session) => openRawGrpcStream(session, ADS_PATH);

/**
 * One client address opening `perConnection` streams on each of `connections` HTTP/2
 * connections and holding them for `holdMs`, then dropping the connections: how many the agent
 * kept open, refused, or never saw (queued by the client's HTTP/2 layer, as the agent's
 * stream limit per connection asks).
 */
function manyStreams(connections: number, perConnection: number, holdMs: number): HostileClient {
  return {
    name: `${(connections * perConnection).toLocaleString('en')} ADS streams held by one client over ${connections} connections`,
    async run({ restPort, grpcPort }) {
      const before = await openStreams(restPort);
      const refused = new Set<http2.ClientHttp2Stream>();
      const opened = Array.from({ length: connections }, () => {
        const { session, socket } = connectFromAnotherAddress(grpcPort);
        const streams = Array.from({ length: perConnection }, () => {
          const stream = openIdleStream(session);
          // A refused stream is answered at once with its status (trailers only).
          stream.on('response', (headers) => {
            if (headers['grpc-status'] !== undefined) refused.add(stream);
          });
          return stream;
        });
        return { socket, streams };
      });
      await new Promise((resolve) => setTimeout(resolve, holdMs));
      const held = (await openStreams(restPort)) - before;
      // Gone at once, as a client process killed: nothing more is sent.
      for (const { socket } of opened) socket.destroy();
      const count = (n: number) => n.toLocaleString('en');
      const sent = connections * perConnection;
      return `${count(held)} held open, ${count(refused.size)} refused, ${count(sent - held - refused.size)} queued by the client`;
    },
  };
}

/**
 * Clients resetting each stream as soon as they open it (HTTP/2 "rapid reset"), on
 * `connections` connections, until the agent cuts each off or `perConnection` are sent.
 */
function rapidResets(connections: number, perConnection: number): HostileClient {
  return {
    name: `${connections} clients resetting every stream they open, up to ${perConnection.toLocaleString('en')} each`,
    async run({ grpcPort }) {
      const outcomes = await Promise.all(
        Array.from({ length: connections }, async () => {
          const { session, socket } = connectFromAnotherAddress(grpcPort);
          const cutOff = new Promise<string>((resolve) => {
            session.on('goaway', (code) => {
              resolve(
                `GOAWAY ${code === http2.constants.NGHTTP2_INTERNAL_ERROR ? 'INTERNAL_ERROR' : code}`,
              );
            });
            session.on('close', () => {
              resolve('closed');
            });
          });
          await new Promise((resolve) => session.once('connect', resolve));
          for (let i = 0; i < perConnection && !session.closed && !session.destroyed; i++)
            openIdleStream(session).close(http2.constants.NGHTTP2_CANCEL);
          const outcome = await Promise.race([
            cutOff,
            new Promise<string>((resolve) => setTimeout(resolve, 5000, 'not cut off')),
          ]);
          socket.destroy();
          return outcome;
        }),
      );
      return tally(outcomes);
    },
  };
}

/** `puts` new hosts PUT into LARGE_SERVICE by `clients` clients at once, then deleted one by one. */
function putsIntoALargeService(puts: number, clients: number): HostileClient {
  const service = LARGE_SERVICE.name;
  return {
    name: `${puts.toLocaleString('en')} PUTs of new hosts into a service of ${LARGE_SERVICE.hosts.toLocaleString('en')}, by ${clients} clients`,
    async run({ restPort }) {
      const agent = new Agent({ keepAlive: true, maxSockets: clients });
      const ms: number[] = [];
      const statuses: string[] = [];
      let next = 0;
      await Promise.all(
        Array.from({ length: clients }, async () => {
          for (let i = next++; i < puts; i = next++) {
            const answer = await putHost(restPort, agent, service, ipOf(100_000 + i), '{}');
            ms.push(answer.ms);
            statuses.push(String(answer.status));
          }
        }),
      );
      // Then taken away again, so that what stays in memory afterwards is the agent's own.
      for (let i = 0; i < puts; i++)
        await send(
          restPort,
          agent,
          'DELETE',
          `/edsservice/${service}/hosts/${ipOf(100_000 + i)}:8080`,
        );
      agent.destroy();
      return `${tally(statuses)}; PUT p50 ${percentile(ms, 50).toFixed(1)} ms, p99 ${percentile(ms, 99).toFixed(1)} ms`;
    },
  };
}

/**
 * Bodies that do not decode (garbage, or over 1 MiB once decompressed) under each
 * `Content-Encoding`, each sent by a client that then half-closes its connection.
 */
function badBodiesThenHalfClose(count: number): HostileClient {
  const encoders = { gzip: gzipSync, deflate: deflateSync, br: brotliCompressSync };
  const bomb = Buffer.alloc(2 * 1024 * 1024, ' ');
  return {
    name: `${count} bad compressed bodies, each client half-closing after it`,
    async run({ restPort }) {
      const statuses: string[] = [];
      for (let i = 0; i < count; i++) {
        const [encoding, encode] = Object.entries(encoders)[i % 3] ?? ['gzip', gzipSync];
        const body =
          i % 2 === 0
            ? Buffer.from(`not ${encoding} at all, case ${i}`)
            : encode(Buffer.concat([Buffer.from(`{"resource_names":["web"],"x":"`), bomb]));
        const status = await sendRawHttp(restPort, {
          method: 'POST',
          path: '/v3/discovery:endpoints',
          headers: [
            ['Content-Type', 'application/json'],
            ['Content-Encoding', encoding],
          ],
          body,
          halfClose: true,
        });
        statuses.push(status === undefined ? 'no answer' : String(status));
      }
      return tally(statuses);
    },
  };
}

/** Bytes no DiscoveryRequest decoder accepts. */
const UNDECODABLE = [
  Buffer.from([0xa7, 0x01, 0x00]), // field 20 of wire type 7, which no field has
  Buffer.from([0x12, 0x05, 0x0a]), // a message field longer than what follows
  Buffer.from([0x20, 0xff]), // a varint cut short
];

/** `count` gRPC streams whose one message is bytes that do not decode as a DiscoveryRequest. */
function undecodableMessages(count: number): HostileClient {
  return {
    name: `${count.toLocaleString('en')} undecodable gRPC messages`,
    async run({ grpcPort }) {
      const client = rawClient(grpcPort);
      const statuses: string[] = [];
      for (let i = 0; i < count; i++) {
        const status = await new Promise<number>((resolve) => {
          const call = client.makeBidiStreamRequest(
            ADS_PATH,
            (bytes: Buffer) => bytes,
            (bytes: Buffer) => bytes,
          );
          call.on('error', () => undefined);
          call.on('status', (ended: grpc.StatusObject) => {
            resolve(ended.code);
          });
          call.write(UNDECODABLE[i % UNDECODABLE.length] ?? Buffer.alloc(0));
          call.end();
        });
        statuses.push(grpcStatusName(status));
      }
      client.close();
      return tally(statuses);
    },
  };
}

/** Issue 19's hostile inputs, in the order the benchmark runs them. */
export const HOSTILE_CLIENTS: readonly HostileClient[] = [
  unknownNames(100_000, 3),
  unknownNames(500_000, 2),
  namesAtTheBound(20, 10_000),
  bigNodeIds(200, 1_000_000, 4),
  manyStreams(20, 500, 3000),
  rapidResets(4, 5000),
  putsIntoALargeService(2000, 32),
  badBodiesThenHalfClose(103),
  undecodableMessages(1000),
];
