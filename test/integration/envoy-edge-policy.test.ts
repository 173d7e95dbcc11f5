import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { type IncomingMessage, request } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';

import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';

import { serveEcho, serveHostnameDrainingOnTerm, serveTls } from '../support/docker-harness.js';
import { EDGE_LABEL_VALUES, toEdsLabels } from '../support/edge-label-values.js';
import { eventually } from '../support/eventually.js';
import { freeReservedPort } from '../support/free-port.js';
import { makeTestPki } from '../support/test-certificates.js';
import { lacks } from '../support/test-tools.js';
import { type EnvoyStage, useEnvoyStage } from '../support/use-envoy-stage.js';

// Edge policy by label, through a real Envoy that takes its whole front door from the agent
// (`eds-agent bootstrap`): each label is answered as labelled. Traffic stays on loopback: the
// front door listens on 127.0.0.1 and the Host header names the service.

/** `htpasswd -nbs alice secret`. */
const ALICE = 'alice:{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=';

interface Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

/** One request to the front door on `port` for `host`: its status, headers and body. */
function ask(
  port: number,
  host: string,
  options: {
    path?: string;
    method?: string;
    headers?: Record<string, string>;
    localAddress?: string;
  } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    request(
      {
        host: '127.0.0.1',
        port,
        path: options.path ?? '/',
        method: options.method ?? 'GET',
        headers: { host, ...options.headers },
        agent: false,
        ...(options.localAddress ? { localAddress: options.localAddress } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('latin1'),
          });
        });
      },
    )
      .on('error', reject)
      .end();
  });
}

const MISSING_TOOLS = lacks('docker', 'busybox', 'envoy', 'openssl');

describe.skipIf(MISSING_TOOLS)('edge policy by label, through the front door', () => {
  let http = 0;
  let https = 0;
  /** The CA of the identity provider outside the stack (`--upstream-ca`), and an impostor's. */
  const pkiDir = mkdtempSync(join(tmpdir(), 'eds-agent-outside-'));
  const idp = makeTestPki(pkiDir, 'idp', 'DNS:localhost');
  const impostor = makeTestPki(pkiDir, 'impostor', 'DNS:localhost');
  afterAll(() => {
    rmSync(pkiDir, { recursive: true, force: true });
  });
  const stage = useEnvoyStage(async () => {
    http = await freeReservedPort();
    https = await freeReservedPort();
    return [
      ...['--listen', `http=127.0.0.1:${http},https=127.0.0.1:${https}`],
      ...['--upstream-ca', idp.server.ca, '--auth-hosts', 'localhost,127.0.0.1'],
    ];
  });
  /** A service of one echoing container labelled `labels`, once Envoy routes to it. */
  const service = async (scenario: string, labels: Record<string, string>) => {
    const name = stage.serviceFor(scenario);
    const container = await stage.upstream(name, labels, { cmd: serveEcho() });
    const host = `${name}.localhost`;
    await eventually(
      `Envoy routes ${host}`,
      () => ask(http, host, { path: '/cgi-bin/env' }).catch(() => undefined),
      (answer) => answer !== undefined && answer.status !== 404 && answer.status !== 503,
    );
    return { host, id: container.id.slice(0, 12) };
  };

  it('asks for Basic credentials: 401 without or with a wrong password, 200 with the right one', async () => {
    await stage.envoyFromBootstrap();
    const { host } = await service('basic', { 'eds.auth.basic': ALICE });
    const basic = (user: string, password: string) => ({
      authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
    });
    expect((await ask(http, host)).status).toBe(401);
    expect((await ask(http, host, { headers: basic('alice', 'wrong') })).status).toBe(401);
    expect((await ask(http, host, { headers: basic('alice', 'secret') })).status).toBe(200);
    // The agent never logged the hash.
    expect(JSON.stringify(stage.agent.logs)).not.toContain('5en6G6Me');
  });

  it('asks a forward-auth service first: its 302 to the login page as is, or its 200 with the user copied', async () => {
    await stage.envoyFromBootstrap();
    const auth = stage.serviceFor('auth');
    await stage.upstream(auth, {}, { cmd: serveCgi('auth', AUTH_SCRIPT) });
    const { host } = await service('forward', {
      'eds.auth.forward': `http://${auth}/cgi-bin/auth`,
      'eds.auth.forward.headers': 'remote-user,remote-groups',
    });
    const denied = await eventually(
      'the auth service answers for the service',
      () => ask(http, host, { path: '/cgi-bin/env' }),
      (answer) => answer.status === 302,
    );
    // The auth service saw the request's own path after its prefix.
    expect(denied.headers.location).toBe('http://login.test/?from=/cgi-bin/env');
    const allowed = await ask(http, host, {
      path: '/cgi-bin/env',
      headers: { cookie: 'session=good' },
    });
    expect(allowed.status).toBe(200);
    expect(allowed.body).toContain('HTTP_REMOTE_USER=alice\n');
    // The attack: a client's own header of those the auth service vouches for, which this
    // answer does not set, would reach the service as if the auth service had said it.
    const forged = await ask(http, host, {
      path: '/cgi-bin/env',
      headers: { cookie: 'session=good', 'remote-groups': 'admins', 'remote-user': 'root' },
    });
    expect(forged.status).toBe(200);
    expect(forged.body).not.toContain('HTTP_REMOTE_GROUPS');
    expect(forged.body).toContain('HTTP_REMOTE_USER=alice\n');
  });

  it('asks a forward-auth service outside the stack over HTTPS verified by --upstream-ca, as it asks one of the stack', async () => {
    await stage.envoyFromBootstrap();
    // An auth service as Authelia answers: 200 with the user for the session cookie, else a
    // 302 to the login page naming the path asked.
    const auth = await serveHttps(idp.server, (request) =>
      String(request.headers.cookie).includes('session=good')
        ? { status: 200, headers: { 'remote-user': 'alice' }, body: '' }
        : {
            status: 302,
            headers: { location: `https://login.test/?from=${request.url ?? ''}` },
            body: '',
          },
    );
    try {
      const { host } = await service('forward-outside', {
        'eds.auth.forward': `https://localhost:${auth.port}/verify`,
        'eds.auth.forward.headers': 'remote-user',
      });
      const denied = await eventually(
        'the outside auth service answers for the service',
        () => ask(http, host, { path: '/cgi-bin/env' }),
        (answer) => answer.status === 302,
      );
      expect(denied.headers.location).toBe('https://login.test/?from=/verify/cgi-bin/env');
      const allowed = await ask(http, host, {
        path: '/cgi-bin/env',
        headers: { cookie: 'session=good', 'remote-user': 'root' },
      });
      expect(allowed.status).toBe(200);
      expect(allowed.body).toContain('HTTP_REMOTE_USER=alice\n');
      expect(auth.paths()).toContain('/verify/cgi-bin/env');
    } finally {
      await auth.close();
    }
  });

  it("takes a JWT of the issuer signed by a key of its JWKS, and answers 401 to an expired one, another issuer's or another audience's", async () => {
    await stage.envoyFromBootstrap();
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwks = JSON.stringify({
      keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'ES256', use: 'sig' }],
    });
    const keys = stage.serviceFor('jwks');
    await stage.upstream(keys, {}, { cmd: serveFile('jwks.json', jwks) });
    const { host } = await service('jwt', {
      'eds.auth.jwt.issuer': 'https://idp.test',
      'eds.auth.jwt.jwks': `http://${keys}/jwks.json`,
      'eds.auth.jwt.audiences': 'api',
    });
    const now = Math.floor(Date.now() / 1000);
    const token = (claims: Record<string, unknown>) =>
      signJwt(privateKey, {
        iss: 'https://idp.test',
        aud: 'api',
        sub: 'alice',
        exp: now + 600,
        ...claims,
      });
    const withToken = (jwt: string) =>
      ask(http, host, { path: '/cgi-bin/env', headers: { authorization: `Bearer ${jwt}` } });
    const valid = await eventually(
      'Envoy takes a valid token',
      () => withToken(token({})),
      (answer) => answer.status === 200,
    );
    const payload = /HTTP_X_JWT_PAYLOAD=(\S+)/.exec(valid.body)?.[1] ?? '';
    expect(JSON.parse(Buffer.from(payload, 'base64url').toString())).toMatchObject({
      sub: 'alice',
    });
    // Expired beyond Envoy's 60 s of clock skew.
    expect((await withToken(token({ exp: now - 600 }))).status).toBe(401);
    // A valid token for another audience: Envoy says 403, the front door 401 (not a token for this service).
    expect((await withToken(token({ aud: 'other' }))).status).toBe(401);
    expect((await withToken(token({ iss: 'https://evil.test' }))).status).toBe(401);
    expect((await ask(http, host, { path: '/cgi-bin/env' })).status).toBe(401);
    // Only the JWT filter's 403 is made 401: an IP list's stays 403 beside it.
    const listed = await service('jwt-ips', { 'eds.allow_ips': '127.0.0.1/32' });
    expect((await ask(http, listed.host, { localAddress: '127.0.0.2' })).status).toBe(403);
  });

  it('fetches the JWKS from an identity provider outside the stack over HTTPS verified by --upstream-ca, and never from an impostor', async () => {
    await stage.envoyFromBootstrap();
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwks = JSON.stringify({
      keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'ES256', use: 'sig' }],
    });
    // Two HTTPS servers on loopback with the same keys: one with a certificate of the CA the
    // agent was given, one with another CA's, both for localhost.
    const keys = () => ({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: jwks,
    });
    const provider = await serveHttps(idp.server, keys);
    const forged = await serveHttps(impostor.server, keys);
    try {
      const labels = (port: number) => ({
        'eds.auth.jwt.issuer': 'https://idp.test',
        'eds.auth.jwt.jwks': `https://localhost:${port}/jwks.json`,
      });
      const trusted = await service('jwt-outside', labels(provider.port));
      const fooled = await service('jwt-impostor', labels(forged.port));
      const token = signJwt(privateKey, {
        iss: 'https://idp.test',
        sub: 'alice',
        exp: Math.floor(Date.now() / 1000) + 600,
      });
      const withToken = (host: string) =>
        ask(http, host, { path: '/cgi-bin/env', headers: { authorization: `Bearer ${token}` } });
      await eventually(
        'Envoy takes a token checked by keys from outside the stack',
        () => withToken(trusted.host),
        (answer) => answer.status === 200,
      );
      expect(provider.paths()).toContain('/jwks.json');
      const status = (await (
        await fetch(`http://127.0.0.1:${stage.agent.port}/status`)
      ).json()) as {
        frontDoor: { outside: { name: string }[] };
      };
      // Each host has its cluster (beside those of the other scenarios' services).
      expect(status.frontDoor.outside.map(({ name }) => name)).toEqual(
        expect.arrayContaining([
          `outside/localhost:${provider.port}`,
          `outside/localhost:${forged.port}`,
        ]),
      );
      // The impostor's certificate is refused in the handshake: no keys, no way in.
      await eventually(
        "Envoy has tried the impostor's host",
        async () => ({ answer: await withToken(fooled.host), connections: forged.connections() }),
        ({ answer, connections }) => answer.status === 401 && connections > 0,
      );
      expect(forged.paths()).toEqual([]);
    } finally {
      await Promise.all([provider.close(), forged.close()]);
    }
  });

  it('limits a service to 10 requests a second: of 100 sent at once, 10 pass and 10 more per second they take, the rest 429', async () => {
    await stage.envoyFromBootstrap();
    const { host } = await service('ratelimit', { 'eds.ratelimit': '10/s' });
    // The bucket refills: wait a second so that it is full, then send all at once.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const started = Date.now();
    const answers = await Promise.all(Array.from({ length: 100 }, () => ask(http, host)));
    const seconds = Math.ceil((Date.now() - started) / 1000);
    const passed = answers.filter((answer) => answer.status === 200).length;
    const limited = answers.filter((answer) => answer.status === 429);
    // A full bucket of 10, and at most one refill of 10 each second the burst took (one, but
    // a busy machine may stretch it: the bound follows the clock, never a hope).
    expect(passed).toBeGreaterThanOrEqual(10);
    expect(passed).toBeLessThanOrEqual(10 + 10 * seconds);
    expect(limited.length).toBe(100 - passed);
    expect(limited[0]?.headers['x-ratelimit-limit']).toBe('10');
    expect(limited[0]?.headers['x-ratelimit-remaining']).toBe('0');
  });

  it('keeps a client on one container by its cookie, and moves it with no error when that one stops', async () => {
    await stage.envoyFromBootstrap();
    const name = stage.serviceFor('sticky');
    const host = `${name}.localhost`;
    const labels = { 'eds.sticky': 'cookie', 'eds.sticky.name': 'sid' };
    const spec = { cmd: serveHostnameDrainingOnTerm(2), stopTimeout: 5 };
    const replicas = [
      await stage.upstream(name, labels, spec),
      await stage.upstream(name, labels, spec),
    ];
    const ids = replicas.map((container) => container.id.slice(0, 12));
    await eventually(
      'Envoy balances over both replicas',
      async () =>
        new Set(
          (await Promise.all(Array.from({ length: 8 }, () => ask(http, host)))).map((answer) =>
            answer.body.trim(),
          ),
        ),
      (seen) => ids.every((id) => seen.has(id)),
    );
    const first = await ask(http, host);
    const cookie = String(first.headers['set-cookie']).split(';')[0] ?? '';
    expect(cookie).toMatch(/^sid=/);
    const stuck = first.body.trim();
    const withCookie = () => ask(http, host, { headers: { cookie } });
    const bodies = (await Promise.all(Array.from({ length: 100 }, withCookie))).map((answer) =>
      answer.body.trim(),
    );
    expect(new Set(bodies)).toEqual(new Set([stuck]));
    // Its container stops: the next requests with the same cookie reach the other, none failing.
    const stopped = replicas[ids.indexOf(stuck)];
    const stopping = stopped?.stop();
    const after: Answer[] = [];
    const until = Date.now() + 4000;
    while (Date.now() < until) after.push(await withCookie());
    await stopping;
    expect(after.filter((answer) => answer.status !== 200)).toEqual([]);
    expect(after.at(-1)?.body.trim()).toBe(ids.find((id) => id !== stuck));
  });

  it('lets 127.0.0.1 in and answers 127.0.0.2 with 403 under eds.allow_ips', async () => {
    await stage.envoyFromBootstrap();
    const { host } = await service('allow', { 'eds.allow_ips': '127.0.0.1/32' });
    expect((await ask(http, host, { localAddress: '127.0.0.1' })).status).toBe(200);
    expect((await ask(http, host, { localAddress: '127.0.0.2' })).status).toBe(403);
    const denied = await service('deny', { 'eds.deny_ips': '127.0.0.2' });
    expect((await ask(http, denied.host, { localAddress: '127.0.0.1' })).status).toBe(200);
    expect((await ask(http, denied.host, { localAddress: '127.0.0.2' })).status).toBe(403);
  });

  it('sets and removes headers, redirects, answers a CORS preflight and compresses, as labelled; a bad compression label is dropped, the rest served', async () => {
    await stage.envoyFromBootstrap();
    const headers = await service('headers', {
      'eds.headers.request.set.x-env': 'prod 100%',
      'eds.headers.request.remove': 'x-debug',
      'eds.headers.response.set.x-frame-options': 'DENY',
      'eds.headers.response.remove': 'x-powered-by',
    });
    const echoed = await ask(http, headers.host, {
      path: '/cgi-bin/env',
      headers: { 'x-env': 'dev', 'x-debug': '1' },
    });
    expect(echoed.body).toContain('HTTP_X_ENV=prod 100%\n');
    expect(echoed.body).not.toContain('HTTP_X_DEBUG');
    expect(echoed.headers['x-frame-options']).toBe('DENY');
    expect(echoed.headers['x-powered-by']).toBeUndefined();

    const moved = stage.serviceFor('moved');
    await stage.upstream(moved, { 'eds.redirect': 'host=www.example.test,path=/new' });
    const redirect = await eventually(
      'Envoy redirects',
      () => ask(http, `${moved}.localhost`, { path: '/page?q=1' }),
      (answer) => answer.status === 308,
    );
    // Another host: this one's port is not its.
    expect(redirect.headers.location).toBe('http://www.example.test/new/page?q=1');

    const cors = await service('cors', {
      'eds.cors.origins': 'https://app.test',
      'eds.cors.methods': 'GET,PUT',
    });
    const preflight = (origin: string) =>
      ask(http, cors.host, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'PUT' },
      });
    const allowed = await preflight('https://app.test');
    expect(allowed.status).toBe(200);
    expect(allowed.headers['access-control-allow-origin']).toBe('https://app.test');
    expect(allowed.headers['access-control-allow-methods']).toBe('GET,PUT');
    expect((await preflight('https://evil.test')).headers['access-control-allow-origin']).toBe(
      undefined,
    );

    const compressed = await service('compress', { 'eds.compress': 'true' });
    const encoding = async (accept: string) =>
      (
        await ask(http, compressed.host, {
          path: '/big.txt',
          headers: { 'accept-encoding': accept },
        })
      ).headers['content-encoding'];
    expect(await encoding('gzip')).toBe('gzip');
    expect(await encoding('br, gzip')).toBe('br');
    expect(await encoding('identity')).toBeUndefined();
    // The same file from a service without the label: never compressed.
    expect(
      (await ask(http, headers.host, { path: '/big.txt', headers: { 'accept-encoding': 'gzip' } }))
        .headers['content-encoding'],
    ).toBeUndefined();

    // A bad compression label is dropped with one warning; the rest of the container is served.
    const typo = await service('typo', {
      'eds.compress': 'yes',
      'eds.headers.response.set.x-frame-options': 'DENY',
    });
    const served = await ask(http, typo.host, {
      path: '/big.txt',
      headers: { 'accept-encoding': 'gzip' },
    });
    expect(served.status).toBe(200);
    expect(served.headers['x-frame-options']).toBe('DENY');
    expect(served.headers['content-encoding']).toBeUndefined();
    const status = await (await fetch(`http://127.0.0.1:${stage.agent.port}/status`)).text();
    expect(status).toContain('got \\"yes\\" (label ignored: the container is served without it)');
  });

  it('passes TLS through by server name to containers holding their own certificates, with 0 failed connections on a scale from 2 to 1', async () => {
    await stage.envoyFromBootstrap();
    const [a, b] = [stage.serviceFor('tls-a'), stage.serviceFor('tls-b')];
    const tlsServer = (service: string, name: string) => {
      const { certificate, key } = selfSigned(name);
      return stage.upstream(
        service,
        { 'eds.tcp_sni': name },
        { cmd: serveTls(certificate, key), stopTimeout: 5 },
      );
    };
    // Two replicas of a.test, each with a certificate of its own; one of b.test.
    const replicas = [await tlsServer(a, 'a.test'), await tlsServer(a, 'a.test')];
    await tlsServer(b, 'b.test');
    const seen = await eventually(
      'a.test reaches both replicas and b.test its one, by the server name',
      async () => ({
        a: new Set(
          (await Promise.all([1, 2, 3, 4, 5, 6].map(() => tlsGet(https, 'a.test')))).map(
            (c) => c.certificate,
          ),
        ),
        b: await tlsGet(https, 'b.test'),
      }),
      ({ a: seenA, b: seenB }) => seenA.size === 2 && !seenA.has('') && seenB.subject === 'b.test',
    );
    expect([...seen.a].every((fingerprint) => fingerprint !== seen.b.certificate)).toBe(true);
    // A loop of new TLS connections to a.test while one of its replicas stops.
    const failures: string[] = [];
    let connections = 0;
    const loop = { running: true };
    const looping = (async () => {
      while (loop.running) {
        const answer = await tlsGet(https, 'a.test').catch((error: unknown) => ({
          certificate: '',
          subject: '',
          page: String(error),
        }));
        connections += 1;
        if (!answer.page.startsWith('HTTP/1.0 200')) failures.push(answer.page.slice(0, 80));
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 500));
    await replicas[0]?.stop();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    loop.running = false;
    await looping;
    expect(connections).toBeGreaterThan(20);
    expect(failures).toEqual([]);
  });

  it('has Envoy ACK the routes and listener of any drawn combination of edge labels: 0 NACKs', async () => {
    await stage.envoyFromBootstrap();
    const drawn = fc.sample(fc.record(EDGE_LABEL_VALUES, { requiredKeys: [] }), 12);
    const services = drawn.map((_, i) => stage.serviceFor(`drawn-${i}`));
    await Promise.all(
      drawn.map((labels, i) => stage.upstream(services[i] ?? '', toEdsLabels(labels))),
    );
    await eventually(
      'the agent routes every drawn service and Envoy has ACKed it all',
      async () => ({
        routes: await (await fetch(`http://127.0.0.1:${stage.agent.port}/status`)).text(),
        streams: await frontDoorStreams(stage),
      }),
      ({ routes, streams }) =>
        services.every((service) => routes.includes(service)) &&
        streams.length === 1 &&
        (streams[0]?.types ?? []).every((type) => type.acked === type.sent),
    );
    const nacks = (await frontDoorStreams(stage)).flatMap((stream) =>
      stream.types.flatMap((type) => (type.lastNack ? [type.lastNack] : [])),
    );
    expect(nacks, JSON.stringify(drawn)).toEqual([]);
  });
});

/** The xDS streams of the front door's Envoy, as the agent's `/status` shows them. */
async function frontDoorStreams(stage: EnvoyStage) {
  const status = (await (await fetch(`http://127.0.0.1:${stage.agent.port}/status`)).json()) as {
    clients: {
      grpc: { node: string; types: { sent?: string; acked?: string; lastNack?: unknown }[] }[];
    };
  };
  return status.clients.grpc.filter((stream) => stream.node === 'eds-agent-front-door');
}

/** A self-signed certificate for `name`, made with openssl: PEM certificate and key. */
function selfSigned(name: string): { certificate: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'eds-agent-sni-'));
  try {
    execFileSync(
      'openssl',
      [
        ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'],
        ...['-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1'],
        ...['-subj', `/CN=${name}`, '-addext', `subjectAltName=DNS:${name}`],
      ],
      { stdio: 'ignore' },
    );
    return {
      certificate: readFileSync(join(dir, 'cert.pem'), 'utf8'),
      key: readFileSync(join(dir, 'key.pem'), 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * One new TLS connection to the front door's HTTPS port for `servername`, and `GET /` over
 * it: the certificate's fingerprint and subject, and the page's first line.
 */
function tlsGet(
  port: number,
  servername: string,
): Promise<{ certificate: string; subject: string; page: string }> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false });
    let certificate = '';
    let subject = '';
    const chunks: Buffer[] = [];
    socket.setTimeout(5000, () => socket.destroy(new Error('timed out')));
    socket.on('secureConnect', () => {
      const peer = socket.getPeerCertificate();
      certificate = peer.fingerprint256;
      subject = String(peer.subject.CN);
      socket.end('GET / HTTP/1.0\r\n\r\n');
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => {
      resolve({ certificate, subject, page: Buffer.concat(chunks).toString('latin1') });
    });
    socket.on('error', reject);
  });
}

/**
 * The auth service of the tests, as Authelia answers Envoy: a request with the cookie
 * `session=good` gets 200 and the user in `Remote-User`; any other, 302 to the login page,
 * naming the path it was asked for after its own.
 */
const AUTH_SCRIPT = [
  'case "$HTTP_COOKIE" in',
  '*session=good*) echo "Status: 200 OK"; echo "Remote-User: alice"; echo;;',
  '*) echo "Status: 302 Found"; echo "Location: http://login.test/?from=$PATH_INFO"; echo;;',
  'esac',
].join('\n');

/** A command for the test image: `/cgi-bin/<name>` runs `script` (busybox httpd's CGI) on 8000. */
function serveCgi(name: string, script: string): string[] {
  return [
    'sh',
    '-c',
    `mkdir -p /www/cgi-bin && printf '%s\\n' '#!/bin/sh' "$0" > /www/cgi-bin/${name} && chmod +x /www/cgi-bin/${name} && exec httpd -f -p 8000 -h /www`,
    script,
  ];
}

/** A command for the test image: `/<name>` is `text`, served on 8000. */
/** What a test HTTPS server answers a request. */
interface HttpsAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/**
 * An HTTPS server on 127.0.0.1 with `party`'s certificate, answering each request as `answer`
 * says; it counts the connections and requests it got, and keeps the requests' paths.
 */
async function serveHttps(
  party: { cert: string; key: string },
  answer: (request: IncomingMessage) => HttpsAnswer,
) {
  const paths: string[] = [];
  let connections = 0;
  const server = createHttpsServer(
    { cert: readFileSync(party.cert), key: readFileSync(party.key) },
    (request, response) => {
      paths.push(request.url ?? '');
      const { status, headers, body } = answer(request);
      response.writeHead(status, headers).end(body);
    },
  );
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    paths: () => [...paths],
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

function serveFile(name: string, text: string): string[] {
  return [
    'sh',
    '-c',
    `mkdir -p /www && printf '%s' "$0" > /www/${name} && exec httpd -f -p 8000 -h /www`,
    text,
  ];
}

/** A JWT (ES256) of `claims`, signed with `key`, its key id `k1`. */
function signJwt(key: KeyObject, claims: Record<string, unknown>): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const signed = `${part({ alg: 'ES256', typ: 'JWT', kid: 'k1' })}.${part(claims)}`;
  const signature = sign('sha256', Buffer.from(signed), { key, dsaEncoding: 'ieee-p1363' });
  return `${signed}.${signature.toString('base64url')}`;
}

/**
 * A raw HTTP/1.1 GET of `/cgi-bin/env` for `host` to `port`, after `preamble` (a PROXY protocol
 * header): the answer's text.
 */
function askBehindProxy(
  port: number,
  host: string,
  preamble: Buffer,
  headers = '',
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(
        Buffer.concat([
          preamble,
          Buffer.from(
            `GET /cgi-bin/env HTTP/1.1\r\nHost: ${host}\r\n${headers}Connection: close\r\n\r\n`,
          ),
        ]),
      );
    });
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('end', () => {
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
    socket.on('error', reject);
  });
}

/** A PROXY protocol v2 header for a TCP over IPv4 connection from `source`:`port` (RFC-less, HAProxy's spec). */
function proxyV2(source: string, port: number): Buffer {
  const signature = Buffer.from('0d0a0d0a000d0a515549540a', 'hex');
  const addresses = Buffer.alloc(12);
  source.split('.').forEach((part, i) => addresses.writeUInt8(Number(part), i));
  [127, 0, 0, 1].forEach((part, i) => addresses.writeUInt8(part, 4 + i));
  addresses.writeUInt16BE(port, 8);
  addresses.writeUInt16BE(80, 10);
  const length = Buffer.alloc(2);
  length.writeUInt16BE(addresses.length);
  return Buffer.concat([signature, Buffer.from([0x21, 0x11]), length, addresses]);
}

describe.skipIf(MISSING_TOOLS)('the real client address behind a load balancer', () => {
  let http = 0;
  const stage = useEnvoyStage(async () => {
    http = await freeReservedPort();
    return ['--listen', `http=127.0.0.1:${http}`, '--proxy-protocol', '--trusted-hops', '1'];
  });

  it("reaches the container from the PROXY header (v1 and v2), and from a trusted proxy's X-Forwarded-For", async () => {
    await stage.envoyFromBootstrap();
    const name = stage.serviceFor('real-ip');
    const host = `${name}.localhost`;
    // Only the load balancer's clients of 203.0.113.0/24 (documentation addresses) are let in.
    await stage.upstream(name, { 'eds.allow_ips': '203.0.113.0/24' }, { cmd: serveEcho() });
    const v1 = Buffer.from('PROXY TCP4 203.0.113.7 127.0.0.1 40000 80\r\n');
    const answer = await eventually(
      'Envoy routes the service',
      () => askBehindProxy(http, host, v1).catch(() => ''),
      (text) => text.startsWith('HTTP/1.1 200'),
    );
    expect(answer).toContain('HTTP_X_ENVOY_EXTERNAL_ADDRESS=203.0.113.7\n');
    expect(answer).toContain('HTTP_X_FORWARDED_FOR=203.0.113.7\n');
    const v2 = await askBehindProxy(http, host, proxyV2('203.0.113.9', 40001));
    expect(v2).toContain('HTTP_X_ENVOY_EXTERNAL_ADDRESS=203.0.113.9\n');
    // One trusted hop: the client is the address the load balancer put in X-Forwarded-For.
    const forwarded = await askBehindProxy(
      http,
      host,
      proxyV2('198.51.100.1', 40002),
      'X-Forwarded-For: 203.0.113.20\r\n',
    );
    expect(forwarded).toMatch(/^HTTP\/1\.1 200/);
    expect(forwarded).toContain('HTTP_X_ENVOY_EXTERNAL_ADDRESS=203.0.113.20\n');
    // A client outside the allowed range, by the PROXY header: 403.
    const outside = await askBehindProxy(
      http,
      host,
      Buffer.from('PROXY TCP4 192.0.2.1 127.0.0.1 40003 80\r\n'),
    );
    expect(outside).toMatch(/^HTTP\/1\.1 403/);
  });
});
