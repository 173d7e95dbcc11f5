// Loads greeter.proto, which server.js and client.js share.
import { fileURLToPath } from 'node:url';

import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const definition = protoLoader.loadSync(fileURLToPath(new URL('greeter.proto', import.meta.url)));

/** The generated `eds_agent.example.Greeter` service: its client constructor and `.service`. */
export const Greeter = grpc.loadPackageDefinition(definition).eds_agent.example.Greeter;
