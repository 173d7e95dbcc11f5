import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { eventually } from './eventually.js';
import { freeLoopbackPort } from './free-port.js';
import { findGo } from './grpc-go-client.js';
import { makeTestPki } from './test-certificates.js';
import { TOOL_CACHE } from './tool-cache.js';

// Pebble, Let's Encrypt's ACME test server, and its DNS stand-in pebble-challtestsrv, which
// answers every name with 127.0.0.1: any test domain resolves to loopback, where Envoy's HTTP
// listener answers the HTTP-01 challenge. Built once from the pinned Go module (the Go module
// proxy serves it) into the tests' tool cache.

const PEBBLE_MODULE = 'github.com/letsencrypt/pebble/v2';
const PEBBLE_VERSION = 'v2.10.3';
const BIN = join(TOOL_CACHE, `pebble-${PEBBLE_VERSION}`);

/** Pebble refuses every order for this domain and the names under it. */
export const BLOCKED_DOMAIN = 'blocked.test';

let built: Promise<string> | undefined;

/** Builds pebble and pebble-challtestsrv once per test process; resolves to their folder. */
export function buildPebble(): Promise<string> {
  built ??= (async () => {
    if (existsSync(join(BIN, 'pebble')) && existsSync(join(BIN, 'pebble-challtestsrv'))) return BIN;
    const go = findGo();
    if (go === undefined) throw new Error('Pebble cannot be built: no `go` on the PATH');
    await promisify(execFile)(
      go,
      [
        'install',
        `${PEBBLE_MODULE}/cmd/pebble@${PEBBLE_VERSION}`,
        `${PEBBLE_MODULE}/cmd/pebble-challtestsrv@${PEBBLE_VERSION}`,
      ],
      { timeout: 300_000, env: { ...process.env, GOBIN: BIN, GOFLAGS: '' } },
    );
    return BIN;
  })();
  return built;
}

/** A running Pebble. */
export interface RunningPebble {
  /** The ACME directory URL. */
  readonly directory: string;
  /** The CA file its API's own HTTPS certificate chains to (`--acme-ca`). */
  readonly apiCa: string;
  /** The root that signs the certificates it issues (PEM). */
  root(): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Starts Pebble, validating HTTP-01 on `httpPort` of 127.0.0.1 (Envoy's HTTP listener), with
 * no random validation delay and no rejected nonces, and its DNS stand-in.
 */
export async function startPebble(httpPort: number): Promise<RunningPebble> {
  const bin = await buildPebble();
  const dir = mkdtempSync(join(tmpdir(), 'eds-agent-pebble-'));
  const pki = makeTestPki(dir, 'pebble');
  const [api, management, tls, dns, dnsManagement] = await Promise.all(
    Array.from({ length: 5 }, () => freeLoopbackPort()),
  );
  const config = join(dir, 'pebble.json');
  writeFileSync(
    config,
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${api}`,
        managementListenAddress: `127.0.0.1:${management}`,
        certificate: pki.server.cert,
        privateKey: pki.server.key,
        httpPort,
        tlsPort: tls,
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
        // Orders for these (and names under them) are refused: a CA's policy, for the tests.
        domainBlocklist: [BLOCKED_DOMAIN],
      },
    }),
  );
  const dnsServer = spawn(
    join(bin, 'pebble-challtestsrv'),
    [
      ...['-dnsserver', `127.0.0.1:${dns}`, '-management', `127.0.0.1:${dnsManagement}`],
      ...['-defaultIPv4', '127.0.0.1', '-defaultIPv6', ''],
      ...['-http01', '', '-https01', '', '-tlsalpn01', '', '-doh', ''],
    ],
    { stdio: 'ignore' },
  );
  const pebble = spawn(join(bin, 'pebble'), ['-config', config, '-dnsserver', `127.0.0.1:${dns}`], {
    stdio: 'ignore',
    env: { ...process.env, PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0' },
  });
  let log = '';
  pebble.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  pebble.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const get = (url: string) =>
    new Promise<string>((resolve, reject) => {
      request(
        url,
        { ca: readFileSync(pki.server.ca), headers: { 'user-agent': 'eds-agent-tests' } },
        (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString()));
          res.on('end', () => {
            if (res.statusCode === 200) resolve(body);
            else reject(new Error(`${url}: ${res.statusCode}`));
          });
        },
      )
        .on('error', reject)
        .end();
    });
  const directory = `https://127.0.0.1:${api}/dir`;
  try {
    await eventually(
      'Pebble answers',
      () => get(directory).catch((error: unknown) => `${String(error)}\n${log}`),
      (body) => body.startsWith('{'),
    );
  } catch (error) {
    // A Pebble that never answered is not left running after the test.
    pebble.kill('SIGKILL');
    dnsServer.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    directory,
    apiCa: pki.server.ca,
    root: () => get(`https://127.0.0.1:${management}/roots/0`),
    async stop() {
      const exited = [pebble, dnsServer].map(
        (child) =>
          new Promise((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) resolve(undefined);
            else child.once('exit', resolve);
          }),
      );
      pebble.kill('SIGKILL');
      dnsServer.kill('SIGKILL');
      await Promise.all(exited);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
