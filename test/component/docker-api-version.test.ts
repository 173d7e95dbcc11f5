import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterEach, describe, expect, it } from 'vitest';

import { startTestAgent, type TestAgent } from '../support/agent-harness.js';
import { eventually } from '../support/eventually.js';

const ID = `${'2'.repeat(12)}${'b'.repeat(52)}`;
const LABELS = { 'eds.service': 'web', 'eds.port': '8080' };

/**
 * An engine over HTTP that, as Docker 29 does, refuses every request for an API version
 * below 1.44, and answers unversioned requests in its own version. It knows one container.
 */
async function startModernEngine(): Promise<{ server: Server; port: number; requested: string[] }> {
  const requested: string[] = [];
  const server = createServer((req, res) => {
    const url = req.url ?? '';
    requested.push(url);
    const json = (body: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json', 'api-version': '1.51' });
      res.end(JSON.stringify(body));
    };
    const version = /^\/v(\d+)\.(\d+)\//.exec(url);
    if (version && (Number(version[1]) < 1 || Number(version[2]) < 44)) {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          message: `client version ${version[1]}.${version[2]} is too old. Minimum supported API version is 1.44, please upgrade your client to a newer version`,
        }),
      );
      return;
    }
    const path = url.replace(/^\/v\d+\.\d+/, '').split('?')[0];
    const network = { bridge: { IPAddress: '10.0.0.7' } };
    switch (path) {
      case '/_ping':
        res.writeHead(200, { 'api-version': '1.51' }).end('OK');
        return;
      case '/containers/json':
        json([
          {
            Id: ID,
            Names: ['/web-1'],
            Labels: LABELS,
            State: 'running',
            Status: 'Up 1 second',
            Ports: [{ PrivatePort: 8080, Type: 'tcp' }],
            NetworkSettings: { Networks: network },
          },
        ]);
        return;
      case `/containers/${ID}/json`:
        json({
          Id: ID,
          Name: '/web-1',
          State: { Status: 'running' },
          Config: { Labels: LABELS, ExposedPorts: { '8080/tcp': {} } },
          NetworkSettings: { Networks: network, Ports: {} },
        });
        return;
      case '/version':
        json({ Version: '29.0.0', ApiVersion: '1.51', Components: [{ Name: 'Engine' }] });
        return;
      case '/networks':
        json([{ Name: 'bridge' }]);
        return;
      case '/events':
        res.writeHead(200, { 'content-type': 'application/json' }).flushHeaders(); // stays open
        return;
      default:
        res.writeHead(404).end();
    }
  }).listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port, requested };
}

describe('the Docker API version', () => {
  let agent: TestAgent | undefined;
  let engine: Server | undefined;
  afterEach(async () => {
    await agent?.stop();
    engine?.closeAllConnections();
    engine?.close();
  });

  it('is never pinned: an engine that refuses versions below 1.44 is followed in its own', async () => {
    const modern = await startModernEngine();
    engine = modern.server;
    agent = await startTestAgent(['--docker-host', `tcp://127.0.0.1:${modern.port}`]);
    expect(await agent.endpoints('web')).toEqual(['10.0.0.7:8080 HEALTHY']);
    await eventually(
      'pinged',
      () => modern.requested,
      (urls) => urls.includes('/_ping'),
    );
    expect(modern.requested.filter((url) => /^\/v\d/.test(url))).toEqual([]);
  });
});
