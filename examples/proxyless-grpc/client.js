// A proxyless gRPC client: dials xds:///greeter, so gRPC itself asks eds-agent (over ADS, as
// the bootstrap file says) which replicas there are, and balances its calls across them.
// Prints one line per call: the time it was sent, then the replica that answered or the error.
//
//   GRPC_XDS_BOOTSTRAP=xds-bootstrap.json node client.js
//
// SERVICE picks another service (default greeter), INTERVAL_MS the pause between calls
// (default 250). TARGET dials something else than xds:///<SERVICE>, such as Envoy's listener
// (`TARGET=localhost:10000 AUTHORITY=greeter.localhost`, see examples/grpc-behind-envoy), with
// AUTHORITY as the :authority of every call, which Envoy routes by.
import * as grpc from '@grpc/grpc-js';
import * as grpcXds from '@grpc/grpc-js-xds';

import { Greeter } from './load-greeter.js';

grpcXds.register(); // teaches gRPC the xds: scheme

const service = process.env.SERVICE ?? 'greeter';
const intervalMs = Number(process.env.INTERVAL_MS ?? 250);
const target = process.env.TARGET ?? `xds:///${service}`;
const options = process.env.AUTHORITY ? { 'grpc.default_authority': process.env.AUTHORITY } : {};
const client = new Greeter(target, grpc.credentials.createInsecure(), options);

function callOnce() {
  const sentAt = new Date().toISOString();
  const deadline = new Date(Date.now() + 5000);
  client.SayHello({ name: 'eds-agent' }, { deadline }, (error, reply) => {
    console.log(
      error ? `${sentAt} FAILED ${error.code} ${error.details}` : `${sentAt} ${reply.replica}`,
    );
  });
}

const timer = setInterval(callOnce, intervalMs);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    clearInterval(timer);
    client.close();
    process.exit(0);
  });
}
