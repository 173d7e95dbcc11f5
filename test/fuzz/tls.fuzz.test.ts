import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startTestAgent, type TestAgent } from '../support/agent-harness.js';
import { send } from '../support/envoy-rest-client.js';
import { FakeDockerEngine } from '../support/fake-docker-engine.js';
import { FUZZ_SEED } from '../support/fuzz-inputs.js';
import { makeTestPki, type TestPki } from '../support/test-certificates.js';
import { lacks } from '../support/test-tools.js';
import { closeAll, connectAds, EDS } from '../support/xds-test-client.js';

// Seeded, as the other fuzz suites. Whatever bytes a client sends where a TLS handshake
// belongs (garbage, a plaintext request, a ClientHello cut short), on the HTTPS and the gRPC
// TLS ports: its connection is closed, the agent runs on, and the next client with a
// certificate the CA signed is served.

/** A TLS record header (handshake, TLS 1.0-1.3) with any length and body after it. */
const truncatedHello = fc
  .tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 0xffff }), fc.uint8Array())
  .map(([minor, length, body]) =>
    Buffer.concat([Buffer.from([0x16, 0x03, minor, length >> 8, length & 0xff]), body]),
  );
const anyHandshake = fc.oneof(
  fc.uint8Array({ maxLength: 4096 }).map((bytes) => Buffer.from(bytes)),
  fc.constant(Buffer.from('GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')),
  fc.constant(Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n')),
  truncatedHello,
);

/** Sends `bytes` on a connection of its own and resolves once the agent has closed it. */
async function sendRaw(port: number, bytes: Buffer): Promise<void> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  const closed = once(socket, 'close');
  socket.write(bytes);
  // The agent may wait for the rest of a handshake: the client leaving ends it too.
  setTimeout(() => socket.end(), 50).unref();
  // What the agent answers (a TLS alert, at most) is read and dropped.
  socket.resume();
  await closed;
}

describe.skipIf(lacks('openssl'))('the TLS ports, fuzzed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eds-agent-tls-fuzz-'));
  let pki: TestPki;
  let agent: TestAgent;
  beforeAll(async () => {
    pki = makeTestPki(dir, 'fuzz');
    agent = await startTestAgent(
      [
        ...['--http-tls-cert', pki.server.cert, '--http-tls-key', pki.server.key],
        ...['--http-client-ca', pki.server.ca],
        ...['--grpc-tls-cert', pki.server.cert, '--grpc-tls-key', pki.server.key],
        ...['--grpc-client-ca', pki.server.ca],
      ],
      { dockerClient: new FakeDockerEngine() },
    );
  }, 60_000);
  afterAll(async () => {
    await agent.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`closes each of 300 hostile handshakes and serves the next client (seed ${FUZZ_SEED})`, async () => {
    const ports = [agent.port, agent.agent.grpcPort ?? 0];
    await fc.assert(fc.asyncProperty(fc.constantFrom(...ports), anyHandshake, sendRaw), {
      seed: FUZZ_SEED,
      numRuns: 300,
    });
    const reply = await send(agent.port, { method: 'GET', path: '/healthz', tls: pki.client });
    expect(reply.status).toBe(200);
    const stream = connectAds(agent.agent.grpcPort ?? 0, 'sotw', {
      credentials: grpc.credentials.createSsl(
        readFileSync(pki.client.ca),
        readFileSync(pki.client.key),
        readFileSync(pki.client.cert),
      ),
      ownConnection: true,
    });
    stream.send({ node: { id: 'after-the-fuzz' }, type_url: EDS, resource_names: ['web'] });
    expect((await stream.next()).resources).toEqual([{ name: 'web', addresses: [] }]);
    await closeAll();
  }, 120_000);
});
