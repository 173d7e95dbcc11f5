// A greeter replica: answers SayHello with its own name, so a client sees which replica it
// reached. Listens on BIND:PORT (0.0.0.0:50051 by default); REPLICA names it (the container's
// hostname by default). Stops on SIGTERM after finishing the calls in flight.
import { hostname } from 'node:os';

import * as grpc from '@grpc/grpc-js';

import { Greeter } from './load-greeter.js';

const bind = process.env.BIND ?? '0.0.0.0';
const port = process.env.PORT ?? '50051';
const replica = process.env.REPLICA ?? hostname();

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
  server.tryShutdown(() => process.exit(0));
});
