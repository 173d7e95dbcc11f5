// A greeter replica: answers SayHello with its own name, so a client sees which replica it
// reached. Listens on BIND:PORT (0.0.0.0:50051 by default); REPLICA names it (the container's
// hostname by default). On SIGTERM it keeps answering for DRAIN_MS (1000 by default), while
// eds-agent tells Envoy and gRPC clients to send no more calls here, then finishes the calls
// in flight and exits: no call fails when the replica is scaled away.
import { hostname } from 'node:os';

import * as grpc from '@grpc/grpc-js';

import { Greeter } from './load-greeter.js';

const bind = process.env.BIND ?? '0.0.0.0';
const port = process.env.PORT ?? '50051';
const replica = process.env.REPLICA ?? hostname();
const drainMs = Number(process.env.DRAIN_MS ?? 1000);

const server = new grpc.Server();
server.addService(Greeter.service, {
  SayHello(call, callback) {
    callback(null, { message: `hello ${call.request.name || 'there'}`, replica });
  },
});
server.bindAsync(`${bind}:${port}`, grpc.ServerCredentials.createInsecure(), (error, bound) => {
  if (error) {
    console.error(`greeter ${replica}: cannot listen on ${bind}:${port}: ${error.message}`);
    process.exit(1);
  }
  console.log(`greeter ${replica} listening on ${bind}:${bound}`);
});
process.on('SIGTERM', () => {
  setTimeout(() => server.tryShutdown(() => process.exit(0)), drainMs);
});
