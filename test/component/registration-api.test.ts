import { execFileSync } from 'node:child_process';
import {
  appendFileSync,
  closeSync,
  lstatSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';

import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';

import { parseCidr, toAddressRanges } from '../../src/core/registrations/address-ranges.js';
import type { RegistrationPolicy } from '../../src/core/registrations/check-registration.js';
import { createSnapshotStore, type SnapshotStore } from '../../src/snapshot-store.js';
import {
  DEFAULT_REGISTRATION_POLICY,
  startRegistrationSource,
} from '../../src/sources/registrations/start-registration-source.js';
import { createHttpApp } from '../../src/transports/http/create-http-app.js';
import { type HttpServer, startHttpServer } from '../../src/transports/http/start-http-server.js';
import type { WriteAccess } from '../../src/transports/http/write-access.js';
import { checkEdsResponse } from '../conformance/support/check-eds-response.js';
import { endpointsOf, pollEds, send } from '../support/envoy-rest-client.js';
import { eventually } from '../support/eventually.js';
import { anEndpoint } from '../support/records.js';
import { lacks } from '../support/test-tools.js';

interface Started {
  port: number;
  store: SnapshotStore;
  logs: { level: number; msg: string; [key: string]: unknown }[];
  close(): Promise<void>;
}
const running: Started[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.close()));
});

async function start(
  options: {
    /** Who may write; open (as on a loopback bind) by default. */
    writes?: WriteAccess;
    /** The registration policy; the default one otherwise. */
    policy?: Partial<RegistrationPolicy>;
    /** Clusters Docker's containers serve: one Docker endpoint each, put in the store. */
    dockerClusters?: string[];
    stateFile?: string;
    compactAfterBytes?: number;
    /** The clock of TTLs (ms since the epoch); the real one by default. */
    now?: () => number;
  } = {},
): Promise<Started> {
  const logs: Started['logs'] = [];
  const logger = pino(
    { level: 'debug' },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n'))
          if (line) logs.push(JSON.parse(line) as Started['logs'][number]);
        done();
      },
    }),
  );
  const store = createSnapshotStore({ logger });
  store.apply(
    (options.dockerClusters ?? []).map((cluster) => [
      `docker:${cluster}`,
      [anEndpoint({ cluster })],
    ]),
  );
  const registrations = await startRegistrationSource({
    store,
    logger,
    stateFile: options.stateFile,
    compactAfterBytes: options.compactAfterBytes,
    sweepIntervalMs: 50,
    policy: { ...DEFAULT_REGISTRATION_POLICY, ...options.policy },
    ...(options.now ? { now: options.now } : {}),
  });
  if (!registrations.ok) throw new Error(registrations.problems.join());
  const app = createHttpApp({
    snapshot: () => store.current(),
    readiness: () => ({ notReadyReasons: [] }),
    logger,
    registration: {
      registrations: registrations.value,
      writes: options.writes ?? { kind: 'open', because: 'loopback' },
      ...(options.now ? { now: options.now } : {}),
    },
  });
  const server: HttpServer = await startHttpServer(app, '127.0.0.1', 0);
  const started = {
    port: server.port,
    store,
    logs,
    close: async () => {
      await server.close();
      await registrations.value.stop();
    },
  };
  running.push(started);
  return started;
}

/** A call as the tutorial makes it: JSON content type, JSON accepted. */
const call = (
  port: number,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) =>
  send(port, {
    method,
    path,
    headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    ownConnection: true,
  });

/** One call of each mutating kind, as the tutorial makes them; their replies. */
const everyWrite = (port: number) =>
  Promise.all(
    (
      [
        ['POST', '/edsservice/web'],
        ['PUT', '/edsservice/web'],
        ['DELETE', '/edsservice/web'],
        ['PUT', '/edsservice/web/hosts/10.0.0.1:80'],
        ['DELETE', '/edsservice/web/hosts/10.0.0.1:80'],
      ] as const
    ).map(([method, path]) =>
      call(port, method, path, method === 'DELETE' ? undefined : { hosts: [] }),
    ),
  );

const tutorialHost = (ip: string, port: number) => ({
  ip_address: ip,
  port,
  tags: { az: 'us-central1-a', canary: false, load_balancing_weight: 50 },
});

describe("the tutorial's registration API, replayed", () => {
  it('Steps 4-6: register one host, then five, then none; Envoy sees each step', async () => {
    const { port } = await start();
    const envoy = async () => {
      const reply = await pollEds(port, 'myservice');
      expect(checkEdsResponse(reply.text, 'myservice')).toEqual([]);
      return reply;
    };

    // Step 4: POST the first upstream.
    const step4 = await call(port, 'POST', '/edsservice/myservice', {
      hosts: [tutorialHost('172.18.0.3', 8081)],
    });
    expect(step4.status).toBe(201);
    expect(JSON.parse(step4.text)).toEqual({ hosts: [tutorialHost('172.18.0.3', 8081)] });
    const after4 = await envoy();
    expect(after4.json?.resources[0]?.endpoints).toEqual([
      {
        locality: { zone: 'us-central1-a' },
        load_balancing_weight: 50,
        lb_endpoints: [
          {
            endpoint: { address: { socket_address: { address: '172.18.0.3', port_value: 8081 } } },
            health_status: 'HEALTHY',
            load_balancing_weight: 50,
            metadata: {
              filter_metadata: { 'envoy.lb': { canary: false }, 'eds-agent': { source: 'api' } },
            },
          },
        ],
      },
    ]);

    // Step 5: PUT all five upstreams (8081-8085).
    const five = [3, 4, 5, 6, 7].map((last, i) => tutorialHost(`172.18.0.${last}`, 8081 + i));
    const step5 = await call(port, 'PUT', '/edsservice/myservice', { hosts: five });
    expect(step5.status).toBe(200);
    const after5 = await envoy();
    expect(endpointsOf(after5)).toEqual(
      five.map((h) => `${h.ip_address}:${h.port} HEALTHY`).sort(),
    );
    expect(after5.json?.version_info).not.toBe(after4.json?.version_info);

    // Step 6: PUT no hosts: Envoy's cluster empties ("no healthy upstream").
    const step6 = await call(port, 'PUT', '/edsservice/myservice', { hosts: [] });
    expect(step6.status).toBe(200);
    const after6 = await envoy();
    expect(after6.json?.resources).toEqual([
      {
        '@type': 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
        cluster_name: 'myservice',
        endpoints: [],
      },
    ]);
  });
});

describe('the registration API, call by call', () => {
  it.each([
    ['GET', '/edsservice/%ff'],
    ['GET', '/v1/registration/%E0%A4%A'],
    ['PUT', '/edsservice/web/hosts/%zz'],
  ])(
    'answers 400 to %s %s (malformed percent-encoding), logged at debug only',
    async (method, path) => {
      const { port, logs } = await start();
      const reply = await call(port, method, path);
      expect(reply.status).toBe(400);
      expect((JSON.parse(reply.text) as { error: string }).error).toMatch(
        /^path: malformed percent-encoding: /,
      );
      expect(logs.filter((line) => line.level > 20)).toEqual([]);
    },
  );

  it('answers every status of its table', async () => {
    const { port } = await start();
    const host = tutorialHost('10.1.0.1', 80);
    expect((await call(port, 'GET', '/edsservice/web')).status).toBe(404);
    expect((await call(port, 'PUT', '/edsservice/web', { hosts: [] })).status).toBe(404);
    expect((await call(port, 'DELETE', '/edsservice/web')).status).toBe(404);
    expect((await call(port, 'POST', '/edsservice/web', { hosts: [host] })).status).toBe(201);
    expect((await call(port, 'POST', '/edsservice/web', { hosts: [host] })).status).toBe(409);
    expect(JSON.parse((await call(port, 'GET', '/edsservice/web')).text)).toEqual({
      hosts: [host],
    });
    expect(JSON.parse((await call(port, 'GET', '/edsservice')).text)).toEqual({
      services: { web: { hosts: [host] } },
    });
    expect(JSON.parse((await call(port, 'GET', '/v1/registration/web')).text)).toEqual({
      hosts: [{ ...host, tags: { az: 'us-central1-a', canary: false, load_balancing_weight: 50 } }],
    });
    expect(
      (await call(port, 'PUT', '/edsservice/web/hosts/10.1.0.2:80', { tags: { az: 'z2' } })).status,
    ).toBe(201);
    expect(
      (await call(port, 'PUT', '/edsservice/web/hosts/10.1.0.2:80', { tags: { az: 'z3' } })).status,
    ).toBe(200);
    expect((await call(port, 'DELETE', '/edsservice/web/hosts/10.1.0.2:80')).status).toBe(204);
    expect((await call(port, 'DELETE', '/edsservice/web/hosts/10.1.0.2:80')).status).toBe(404);
    expect((await call(port, 'DELETE', '/edsservice/web')).status).toBe(204);
    expect((await call(port, 'GET', '/edsservice/web')).status).toBe(404);
    expect((await call(port, 'PATCH', '/edsservice/web', {})).status).toBe(405);
  });

  it('rejects bad input by path, and a bad request changes nothing', async () => {
    const { port } = await start();
    await call(port, 'POST', '/edsservice/web', { hosts: [tutorialHost('10.1.0.1', 80)] });
    const before = await call(port, 'GET', '/edsservice/web');

    const bad = await call(port, 'PUT', '/edsservice/web', {
      hosts: [
        tutorialHost('10.1.0.1', 80),
        { ip_address: 'fd00::1', port: 0 },
        { ip_address: 'web-2', port: 80 },
      ],
    });
    expect(bad.status).toBe(400);
    expect((JSON.parse(bad.text) as { problems: string[] }).problems).toEqual([
      'hosts[1].port: expected an integer 1-65535, got 0',
      'hosts[2].ip_address: expected an IP address (v4 or v6), got "web-2"',
    ]);
    expect((await call(port, 'PUT', '/edsservice/web', '{"hosts": [')).status).toBe(400);
    expect((await call(port, 'POST', '/edsservice/my%20service', { hosts: [] })).status).toBe(400);
    expect((await call(port, 'PUT', '/edsservice/web/hosts/web-2:80', {})).status).toBe(400);
    expect(
      (await call(port, 'PUT', '/edsservice/web', '{"hosts":[]}', { 'Content-Type': 'text/plain' }))
        .status,
    ).toBe(415);
    const huge = JSON.stringify({
      hosts: [{ ...tutorialHost('10.1.0.1', 80), tags: { note: 'x'.repeat(1024 * 1024) } }],
    });
    expect((await call(port, 'PUT', '/edsservice/web', huge)).status).toBe(413);

    expect((await call(port, 'GET', '/edsservice/web')).text).toBe(before.text);
  });

  it("with --registrations-join-docker, merges registered hosts with Docker's: Docker wins an address, and the log says so", async () => {
    const { port, store, logs } = await start({ policy: { joinDocker: true } });
    store.apply([
      [
        'docker:abc',
        [anEndpoint({ cluster: 'web', address: '10.1.0.1', port: 80, hostname: 'web-1' })],
      ],
    ]);
    await call(port, 'POST', '/edsservice/web', {
      hosts: [tutorialHost('10.1.0.1', 80), tutorialHost('10.1.0.2', 80)],
    });
    const reply = await pollEds(port, 'web');
    const lbs = reply.json?.resources[0]?.endpoints.flatMap((l) => l.lb_endpoints) ?? [];
    expect(
      lbs.map((lb) => [
        lb.endpoint.address.socket_address.address,
        (lb.metadata as { filter_metadata: { 'eds-agent': { source: string } } }).filter_metadata[
          'eds-agent'
        ].source,
      ]),
    ).toEqual([
      ['10.1.0.1', 'docker'],
      ['10.1.0.2', 'api'],
    ]);
    expect(
      logs.filter((l) => l.level === 40 && l.msg.includes('address of a Docker container')),
    ).toEqual([expect.objectContaining({ cluster: 'web', address: '10.1.0.1:80' })]);
  });

  it('expires a TTL host unless it is put again', async () => {
    let clock = Date.parse('2026-01-01T00:00:00Z');
    const { port } = await start({ now: () => clock });
    const served = async () =>
      endpointsOf(await pollEds(port, 'hb'))
        .sort()
        .join(', ');
    await call(port, 'PUT', '/edsservice/hb/hosts/10.2.0.1:9000', { ttl_seconds: 1 });
    await call(port, 'PUT', '/edsservice/hb/hosts/10.2.0.2:9000', {});
    // A witness, never renewed: once it is gone, a sweep has run past its deadline.
    await call(port, 'PUT', '/edsservice/hb/hosts/10.2.0.3:9000', { ttl_seconds: 1 });
    expect(await served()).toBe(
      '10.2.0.1:9000 HEALTHY, 10.2.0.2:9000 HEALTHY, 10.2.0.3:9000 HEALTHY',
    );
    // Heartbeats keep it alive past its first deadline...
    for (let i = 0; i < 4; i++) {
      clock += 400;
      expect(
        (await call(port, 'PUT', '/edsservice/hb/hosts/10.2.0.1:9000', { ttl_seconds: 1 })).status,
      ).toBe(200);
    }
    await eventually(
      'the witness expired, and the renewed host did not',
      served,
      (hosts) => hosts === '10.2.0.1:9000 HEALTHY, 10.2.0.2:9000 HEALTHY',
    );
    // ...and without them it goes.
    clock += 1001;
    await eventually('the TTL host expired', served, (hosts) => hosts === '10.2.0.2:9000 HEALTHY');
  });

  it('needs the admin token for every mutating call, and only for those', async () => {
    const { port } = await start({ writes: { kind: 'token', token: 's3cret' } });
    const body = { hosts: [] };
    expect((await call(port, 'POST', '/edsservice/web', body)).status).toBe(401);
    expect(
      (await call(port, 'POST', '/edsservice/web', body, { Authorization: 'Bearer wrong' })).status,
    ).toBe(401);
    expect(
      (await call(port, 'POST', '/edsservice/web', body, { Authorization: 's3cret' })).status,
    ).toBe(401);
    expect((await call(port, 'PUT', '/edsservice/web/hosts/10.0.0.1:80', {})).status).toBe(401);
    expect((await call(port, 'DELETE', '/edsservice/web')).status).toBe(401);
    expect(
      (await call(port, 'POST', '/edsservice/web', body, { Authorization: 'Bearer s3cret' }))
        .status,
    ).toBe(201);
    expect((await call(port, 'GET', '/edsservice/web')).status).toBe(200);
    expect(
      (await call(port, 'DELETE', '/edsservice/web', undefined, { Authorization: 'Bearer s3cret' }))
        .status,
    ).toBe(204);
  });

  it('takes the Bearer scheme in any case, and refuses a token sent with another scheme', async () => {
    const { port } = await start({ writes: { kind: 'token', token: 's3cret' } });
    const post = (authorization: string) =>
      call(port, 'POST', '/edsservice/web', { hosts: [] }, { Authorization: authorization });
    expect((await post('bearer s3cret')).status).toBe(201);
    expect((await post('Basic s3cret')).status).toBe(401);
    expect((await post('BEARER  s3cret')).status).toBe(409);
  });

  it('refuses every write, with a 403 naming the flags, while writes are closed', async () => {
    const { port, store } = await start({ writes: { kind: 'closed', bind: '0.0.0.0' } });
    for (const reply of await everyWrite(port)) {
      expect(reply.status).toBe(403);
      expect(reply.text).toContain('--admin-token-file');
      expect(reply.text).toContain('--insecure-open-writes');
    }
    expect((await call(port, 'GET', '/edsservice')).status).toBe(200);
    expect(store.current().clusters.size).toBe(0);
  });

  // The attack: `PUT /edsservice/web/hosts/127.0.0.1:9901` with a huge weight joined the
  // Docker-built cluster `web` and sent its traffic to Envoy's own admin port.
  it.each([
    ['127.0.0.1:9901', 'loopback'],
    ['[::1]:9901', 'loopback'],
    ['[::ffff:127.0.0.1]:9901', 'loopback'],
    ['169.254.169.254:80', 'link-local'],
    ['0.0.0.0:9901', 'unspecified'],
    ['224.0.0.1:80', 'multicast'],
  ])('refuses to register %s (%s) unless its range is allowed', async (host, why) => {
    const refusing = await start();
    const reply = await call(refusing.port, 'PUT', `/edsservice/api/hosts/${host}`, {
      tags: { load_balancing_weight: 1000000 },
    });
    expect(reply.status).toBe(403);
    expect(reply.text).toContain(why);
    expect(reply.text).toContain('--registration-allow-cidr');
    expect(refusing.store.current().clusters.size).toBe(0);

    const range = host.startsWith('[') ? '::/0' : '0.0.0.0/0';
    const allowing = await start({ policy: { allowed: toAddressRanges([parseRange(range)]) } });
    expect((await call(allowing.port, 'PUT', `/edsservice/api/hosts/${host}`, {})).status).toBe(
      201,
    );
  });

  it('refuses a registration that would join a cluster Docker labels serve', async () => {
    const { port, store } = await start({ dockerClusters: ['web'] });
    const before = store.current().clusters.get('web')?.endpoints;
    for (const [method, body] of [['PUT', { tags: { load_balancing_weight: 1000000 } }]] as const) {
      const reply = await call(port, method, '/edsservice/web/hosts/10.9.9.9:80', body);
      expect(reply.status).toBe(403);
      expect(reply.text).toContain('--registrations-join-docker');
    }
    expect((await call(port, 'POST', '/edsservice/web', { hosts: [] })).status).toBe(403);
    expect(store.current().clusters.get('web')?.endpoints).toEqual(before);

    const joining = await start({ dockerClusters: ['web'], policy: { joinDocker: true } });
    expect((await call(joining.port, 'PUT', '/edsservice/web/hosts/10.9.9.9:80', {})).status).toBe(
      201,
    );
  });

  it('bounds services, hosts and tags, and keeps everything it accepted', async () => {
    const { port } = await start({
      policy: { maxServices: 2, maxHostsPerService: 2, maxTagsPerHost: 2, maxTagBytes: 64 },
    });
    const host = (i: number) => ({ ip_address: `10.0.0.${i}`, port: 80 });
    expect((await call(port, 'POST', '/edsservice/a', { hosts: [host(1), host(2)] })).status).toBe(
      201,
    );
    expect((await call(port, 'POST', '/edsservice/b', { hosts: [host(1)] })).status).toBe(201);
    // A third service, a third host, three tags, tags too large.
    const third = await call(port, 'POST', '/edsservice/c', { hosts: [host(1)] });
    expect(third.status).toBe(429);
    expect(third.text).toContain('--registration-max-services');
    expect((await call(port, 'PUT', '/edsservice/a/hosts/10.0.0.3:80', {})).status).toBe(429);
    expect(
      (await call(port, 'PUT', '/edsservice/b', { hosts: [host(1), host(2), host(3)] })).status,
    ).toBe(429);
    expect(
      (await call(port, 'PUT', '/edsservice/b/hosts/10.0.0.2:80', { tags: { a: 1, b: 2, c: 3 } }))
        .status,
    ).toBe(413);
    expect(
      (await call(port, 'PUT', '/edsservice/b/hosts/10.0.0.2:80', { tags: { a: 'x'.repeat(80) } }))
        .status,
    ).toBe(413);
    // What fits still goes: a host renewed in a full service, a host added where there is room.
    expect((await call(port, 'PUT', '/edsservice/a/hosts/10.0.0.2:80', {})).status).toBe(200);
    expect((await call(port, 'PUT', '/edsservice/b/hosts/10.0.0.2:80', {})).status).toBe(201);
    const all = JSON.parse((await call(port, 'GET', '/edsservice')).text) as {
      services: Record<string, { hosts: { ip_address: string }[] }>;
    };
    expect(
      Object.fromEntries(
        Object.entries(all.services).map(([name, { hosts }]) => [
          name,
          hosts.map((h) => h.ip_address),
        ]),
      ),
    ).toEqual({ a: ['10.0.0.1', '10.0.0.2'], b: ['10.0.0.1', '10.0.0.2'] });
  });

  it('refuses every mutating call when read-only', async () => {
    const { port } = await start({ writes: { kind: 'read-only' } });
    for (const reply of await everyWrite(port)) {
      expect(reply.status).toBe(405);
      expect(reply.headers.allow).toBe('GET, HEAD');
    }
    expect((await call(port, 'GET', '/edsservice')).status).toBe(200);
  });
});

function parseRange(text: string) {
  const range = parseCidr(text);
  if (!range.ok) throw new Error(range.problems.join());
  return range.value;
}

/** Writes `path` until the file system has no space left. */
function fillDisk(path: string): void {
  const chunk = Buffer.alloc(4096, 'x');
  const fd = openSync(path, 'w');
  try {
    for (;;) writeSync(fd, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
}

describe('the state file', () => {
  const dir = () => mkdtempSync(join(tmpdir(), 'eds-agent-state-'));

  it('keeps registrations across a restart, TTL deadlines included', async () => {
    const stateFile = join(dir(), 'state.json');
    const first = await start({ stateFile });
    await call(first.port, 'POST', '/edsservice/web', { hosts: [tutorialHost('10.3.0.1', 80)] });
    await call(first.port, 'PUT', '/edsservice/web/hosts/10.3.0.2:80', { ttl_seconds: 3600 });
    await first.close();
    const second = await start({ stateFile });
    expect(endpointsOf(await pollEds(second.port, 'web'))).toEqual([
      '10.3.0.1:80 HEALTHY',
      '10.3.0.2:80 HEALTHY',
    ]);
    const deadline = /"ip_address":"10\.3\.0\.2".*"expires_at":(\d+)/.exec(
      readFileSync(stateFile, 'utf8'),
    );
    expect(Number(deadline?.[1])).toBeGreaterThan(Date.now() + 3500_000);
  });

  it('keeps a service or tag of any valid name, __proto__ included, across a restart', async () => {
    const stateFile = join(dir(), 'state.json');
    const first = await start({ stateFile });
    const body = '{"hosts": [{"ip_address": "10.3.0.1", "port": 80, "tags": {"__proto__": "x"}}]}';
    expect((await call(first.port, 'POST', '/edsservice/__proto__', body)).status).toBe(201);
    expect(
      (await call(first.port, 'PUT', '/edsservice/constructor/hosts/10.3.0.2:80')).status,
    ).toBe(201);
    await first.close();
    const second = await start({ stateFile });
    expect(JSON.parse((await call(second.port, 'GET', '/edsservice')).text)).toEqual(
      JSON.parse(
        '{"services": {"__proto__": {"hosts": [{"ip_address": "10.3.0.1", "port": 80, "tags": {"__proto__": "x"}}]},' +
          ' "constructor": {"hosts": [{"ip_address": "10.3.0.2", "port": 80, "tags": {}}]}}}',
      ),
    );
    expect(endpointsOf(await pollEds(second.port, '__proto__'))).toEqual(['10.3.0.1:80 HEALTHY']);
  });

  it('appends one line per change, and compacts the file once the changes outgrow it', async () => {
    const stateFile = join(dir(), 'state.json');
    const lines = () => readFileSync(stateFile, 'utf8').split('\n').length - 1;
    const first = await start({ stateFile, compactAfterBytes: 4096 });
    expect(lines()).toBe(1);
    for (let i = 1; i <= 10; i++)
      await call(first.port, 'PUT', `/edsservice/web/hosts/10.4.0.${i}:80`, { ttl_seconds: 60 });
    expect(lines()).toBe(11); // the snapshot, then ten appended changes: nothing rewritten

    // Heartbeats re-put the same hosts: the file stays bounded however long they go on.
    for (let round = 0; round < 10; round++)
      for (let i = 1; i <= 10; i++)
        await call(first.port, 'PUT', `/edsservice/web/hosts/10.4.0.${i}:80`, { ttl_seconds: 60 });
    expect(readFileSync(stateFile).length).toBeLessThan(2 * 4096 + 1024);
    expect(lines()).toBeLessThan(50);
    await first.close();
    const second = await start({ stateFile });
    expect(endpointsOf(await pollEds(second.port, 'web'))).toHaveLength(10);
  });

  // The attack: the compaction's temporary file has a predictable name; a symlink planted there
  // was followed, and the snapshot written over whatever it pointed to.
  it('compacts into a file of its own, never through a symlink planted at the temporary name', async () => {
    const folder = dir();
    const stateFile = join(folder, 'state.json');
    const victim = join(folder, 'victim');
    writeFileSync(victim, 'untouched');
    const first = await start({ stateFile, compactAfterBytes: 256 });
    // The start compacted once (temporary number 1); plant the next few names.
    for (let n = 2; n <= 4; n++)
      symlinkSync(victim, join(folder, `.state.json.${process.pid}.${n}.tmp`));
    for (let i = 1; i <= 20; i++) {
      const reply = await call(first.port, 'PUT', `/edsservice/web/hosts/10.4.1.${i}:80`, {});
      expect(reply.status).toBe(201);
    }
    expect(readFileSync(victim, 'utf8')).toBe('untouched');
    expect(lstatSync(stateFile).isSymbolicLink()).toBe(false);
    await first.close();
    const second = await start({ stateFile });
    expect(endpointsOf(await pollEds(second.port, 'web'))).toHaveLength(20);
  });

  it('acknowledges concurrent changes from a shared write, each one kept', async () => {
    const stateFile = join(dir(), 'state.json');
    const first = await start({ stateFile });
    const replies = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        call(first.port, 'PUT', `/edsservice/web/hosts/10.5.0.${i + 1}:80`),
      ),
    );
    expect(replies.map((reply) => reply.status)).toEqual(Array(100).fill(201));
    await first.close();
    const second = await start({ stateFile });
    expect(endpointsOf(await pollEds(second.port, 'web'))).toHaveLength(100);
  });

  it('starts without what a crash left: an unfinished last line, temporary files', async () => {
    const folder = dir();
    const stateFile = join(folder, 'state.json');
    const first = await start({ stateFile });
    await call(first.port, 'PUT', '/edsservice/web/hosts/10.6.0.1:80');
    await first.close();
    appendFileSync(stateFile, '{"op":"put-host","service":"web","host":{"ip_a');
    for (const name of ['.state.json.4242.7.tmp', '.state.json.notes', 'other.tmp'])
      writeFileSync(join(folder, name), 'x');

    const second = await start({ stateFile });
    expect(endpointsOf(await pollEds(second.port, 'web'))).toEqual(['10.6.0.1:80 HEALTHY']);
    expect(readdirSync(folder).sort()).toEqual(['.state.json.notes', 'other.tmp', 'state.json']);
    expect(second.logs.map((log) => log.msg)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^the state file ended in an unfinished line/),
        'removed a temporary file left by an earlier run',
      ]),
    );
    // The next change is a line of its own, not glued to the unfinished one.
    await call(second.port, 'PUT', '/edsservice/web/hosts/10.6.0.2:80');
    await second.close();
    const third = await start({ stateFile });
    expect(endpointsOf(await pollEds(third.port, 'web'))).toHaveLength(2);
  });

  // A real full disk: a small tmpfs of the test's own (mounting needs root, as in CI).
  it.skipIf(lacks('root'))(
    'answers 503 when the disk is full, applies nothing unsaved, and recovers with space',
    async () => {
      const folder = dir();
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', folder]);
      try {
        const stateFile = join(folder, 'state.json');
        const first = await start({ stateFile });
        const filler = join(folder, 'filler');
        fillDisk(filler);
        const acknowledged: number[] = [];
        let failed: { status: number; text: string } | undefined;
        for (let i = 1; i <= 250 && !failed; i++) {
          const reply = await call(first.port, 'PUT', `/edsservice/web/hosts/10.7.0.${i}:80`);
          if (reply.status === 201) acknowledged.push(i);
          else failed = reply;
        }
        expect(failed?.status).toBe(503);
        expect(failed?.text).toContain('the change was not saved, so not applied');
        expect(failed?.text).toContain('ENOSPC');
        const served = endpointsOf(await pollEds(first.port, 'web'));
        expect(served).toEqual(acknowledged.map((i) => `10.7.0.${i}:80 HEALTHY`).sort());

        rmSync(filler);
        const next = acknowledged.length + 2;
        expect(
          (await call(first.port, 'PUT', `/edsservice/web/hosts/10.7.0.${next}:80`)).status,
        ).toBe(201);
        await first.close();
        const second = await start({ stateFile });
        expect(endpointsOf(await pollEds(second.port, 'web'))).toEqual(
          [...acknowledged, next].map((i) => `10.7.0.${i}:80 HEALTHY`).sort(),
        );
        await second.close();
      } finally {
        execFileSync('umount', ['--lazy', folder]);
      }
    },
  );

  it('refuses a state file in a folder that does not exist', async () => {
    await expect(start({ stateFile: join(dir(), 'missing', 'state.json') })).rejects.toThrow(
      /the folder .*missing does not exist/,
    );
  });

  it('treats a missing file as no registrations, and a corrupt one as an error', async () => {
    const folder = dir();
    const fresh = await start({ stateFile: join(folder, 'absent.json') });
    expect(JSON.parse((await call(fresh.port, 'GET', '/edsservice')).text)).toEqual({
      services: {},
    });

    const corrupt = join(folder, 'corrupt.json');
    writeFileSync(corrupt, '{"version": 1, "services": {"web": {"hosts": [{"ip_address": "x"');
    await expect(start({ stateFile: corrupt })).rejects.toThrow(/not valid JSON/);
    writeFileSync(
      corrupt,
      JSON.stringify({
        version: 1,
        services: { web: { hosts: [{ ip_address: 'web-1', port: 80 }] } },
      }),
    );
    await expect(start({ stateFile: corrupt })).rejects.toThrow(
      /services.web.hosts\[0\].ip_address: expected an IP address/,
    );
    for (const entry of [null, { hosts: 'none' }]) {
      writeFileSync(corrupt, JSON.stringify({ version: 1, services: { web: entry } }));
      await expect(start({ stateFile: corrupt })).rejects.toThrow(
        /services.web.hosts: expected an array/,
      );
    }
    writeFileSync(corrupt, JSON.stringify({ services: {} }));
    await expect(start({ stateFile: corrupt })).rejects.toThrow(/not an eds-agent state file/);
  });
});
