import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildImage, dockerfileBaseImages, SYSTEM_CA_BUNDLE } from '../support/agent-image.js';
import { NO_DOCKER } from '../support/cli.js';
import { type Compose, compose, findComposes } from '../support/compose.js';
import { withFreeHostPorts } from '../support/compose-free-ports.js';
import { RUN_LABEL } from '../support/docker-harness.js';
import { hostsOf } from '../support/envoy-process.js';
import { eventually } from '../support/eventually.js';
import { startGreeterClient } from '../support/greeter-example.js';
import { REPO_ROOT } from '../support/repo-files.js';
import { provideStandIns, removeStandIns } from '../support/stand-in-images.js';
import { lacks } from '../support/test-tools.js';

const run = promisify(execFile);
const docker = async (...args: string[]) => (await run('docker', args)).stdout.trim();

// The README's quick start and the examples' compose files, run for real: the real Dockerfile
// built, the real compose files brought up. Only the base images are stood in for (none can be
// pulled here), under exactly the names the files use; where the real ones are present, they
// are used. The proof that Envoy routes to the replicas is Envoy's own admin view, published
// on 127.0.0.1: no test traffic goes to a container address.

/** The tag the compose files give the agent's image (`image:` beside `build:`). */
const AGENT_IMAGE = 'eds-agent:local';
const runId = `qs${Date.now().toString(36)}`;

/**
 * Each compose file that starts Envoy in a container: the service to scale, an override file
 * when the example does not publish Envoy's admin API itself (the test reads it there), and
 * the domains Envoy's route configuration must hold when the agent gives it its routes.
 */
const STACKS: readonly {
  file: string;
  service: string;
  override?: string;
  domains?: readonly string[];
  /** Agents to scale to (`--scale eds-agent=2`), one of them killed in turn. */
  agents?: number;
  /** The listeners (LDS) and secrets (SDS) Envoy must hold when the agent is its front door. */
  frontDoor?: { listeners: readonly string[]; secrets: readonly string[] };
}[] = [
  // With two agents: the high-availability recipe of docs/high-availability.md. Envoy from
  // `eds-agent bootstrap`: its listener and routes from the agent, no HTTPS service yet.
  {
    file: 'docker-compose.yml',
    service: 'web',
    agents: 2,
    domains: ['web', 'web.localhost'],
    frontDoor: { listeners: ['front/http'], secrets: [] },
  },
  // Envoy's own listener, routing by the `x-service` header.
  { file: 'examples/ads-grpc/docker-compose.yml', service: 'web' },
  {
    file: 'examples/tutorial-rest-eds/docker-compose.yml',
    service: 'myservice',
    override: 'test/fixtures/compose-overrides/publish-envoy-admin.yml',
  },
  {
    file: 'examples/label-routing/docker-compose.yml',
    service: 'web',
    domains: ['web.localhost', 'api.localhost'],
  },
  // Envoy from `eds-agent bootstrap` alone: listeners, routes and certificates from the agent.
  {
    file: 'examples/front-door/docker-compose.yml',
    service: 'web',
    domains: ['web.localhost'],
    frontDoor: { listeners: ['front/http', 'front/https'], secrets: ['tls/web.localhost'] },
  },
];
/** The proxyless gRPC example: no Envoy, a client on the host, its own greeter image. */
const PROXYLESS = {
  file: 'examples/proxyless-grpc/docker-compose.yml',
  image: 'eds-agent-example-greeter:local',
};
/** The ports the stacks publish for Envoy's admin API and the agent (moved to free ones). */
const ADMIN_PORT = 9901;
const AGENT_PORT = 8080;

/** Every `image:` a stack's file names, the agent's own excepted (it is built). */
function composeImages(file: string): string[] {
  const text = readFileSync(join(REPO_ROOT, file), 'utf8');
  return [...text.matchAll(/^\s+image:\s*(\S+)/gm)]
    .map((match) => match[1] ?? '')
    .filter((image) => image !== AGENT_IMAGE);
}

const BASE_IMAGES = [
  ...dockerfileBaseImages(),
  ...STACKS.flatMap((stack) => composeImages(stack.file)),
];
const COMPOSES = await findComposes();
/** Every stack needs Compose, and the images (stood in for, from busybox and Envoy). */
const MISSING_TOOLS = lacks('docker', 'busybox', 'envoy', 'compose');

beforeAll(async () => {
  await provideStandIns(BASE_IMAGES);
  await buildImage(AGENT_IMAGE);
  await buildImage(PROXYLESS.image, join(REPO_ROOT, dirname(PROXYLESS.file)));
}, 300_000);

afterAll(async () => {
  for (const image of [AGENT_IMAGE, PROXYLESS.image])
    await docker('image', 'rm', '--force', image).catch(() => undefined);
  await removeStandIns(BASE_IMAGES);
});

/** What a scenario does with a stack that is up. */
interface Stack {
  /** `compose up --detach` with `--scale <service>=<n>` for each of `scales`. */
  up(scales: Record<string, number>, args?: string[]): Promise<void>;
  /** The host port the stack publishes for `port` of its files (moved to a free one). */
  port(named: number): number;
  /** The containers of `service`, by id, in the order of their names. */
  containers(service: string): Promise<string[]>;
}

/**
 * Brings `files` up as `project` with `command`, runs `scenario`, then proves `down --volumes`
 * leaves nothing. The files run as written but for their host ports, moved to free ones, so that a
 * quick start left up (on 8080, 9901, 10000) does not fail the test.
 */
async function withStack(
  command: Compose,
  project: string,
  files: string[],
  scenario: (stack: Stack) => Promise<void>,
): Promise<void> {
  const env = { DOCKER_GID: String(statSync('/var/run/docker.sock').gid) };
  const moved = await withFreeHostPorts(files);
  const directory = dirname(files[0] ?? '');
  const run = (args: string[]) => compose(command, project, moved.files, args, env, directory);
  const label = `label=com.docker.compose.project=${project}`;
  try {
    await scenario({
      up: (scales, args = []) =>
        run([
          'up',
          '--detach',
          ...Object.entries(scales).flatMap(([name, n]) => ['--scale', `${name}=${n}`]),
          ...args,
        ]),
      port: (named) => moved.port(named),
      containers: async (service) =>
        (
          await docker(
            ...['ps', '--filter', label],
            ...['--filter', `label=com.docker.compose.service=${service}`],
            ...['--format', '{{.Names}} {{.ID}}'],
          )
        )
          .split('\n')
          .filter((line) => line !== '')
          .sort()
          .map((line) => line.split(' ')[1] ?? ''),
    });
  } finally {
    // With its named volumes: a stack's own (the front door's certificate store) outlive a
    // plain `down`, as they should for a user.
    await run(['down', '--volumes']);
  }
  expect(await docker('ps', '--all', '--quiet', '--filter', label)).toBe('');
  expect(await docker('network', 'ls', '--quiet', '--filter', label)).toBe('');
  expect(await docker('volume', 'ls', '--quiet', '--filter', label)).toBe('');
}

const patience = { timeoutMs: 60_000, intervalMs: 500 };
/** What the agent published on `port` answers `/readyz`; undefined when it does not answer. */
const readyStatus = async (port: number) =>
  (
    await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2000) }).catch(
      () => undefined,
    )
  )?.status;
const agentReady = (port: number) =>
  eventually(
    `the agent on ${port} is ready`,
    () => readyStatus(port),
    (status) => status === 200,
    patience,
  );

describe.skipIf(lacks('docker', 'busybox', 'envoy'))('the image the Dockerfile builds', () => {
  const image = AGENT_IMAGE;
  const node = (script: string) =>
    docker('run', '--rm', '--entrypoint', 'node', image, '-e', script);

  it('runs as a user other than root', async () => {
    expect(await docker('image', 'inspect', '--format', '{{.Config.User}}', image)).toBe('node');
    expect(await node('process.stdout.write(String(process.getuid()))')).not.toBe('0');
  });

  it('answers --help and --version', async () => {
    const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(await docker('run', '--rm', image, '--help')).toContain('Usage: eds-agent [flags]');
    expect(await docker('run', '--rm', image, '--version')).toContain(version);
  });

  it('holds the production dependencies and none of the dev dependencies', async () => {
    // npm's lockfile marks each package needed only for development `dev`.
    const lock = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean; optional?: boolean; devOptional?: boolean }>;
    };
    const installed = Object.entries(lock.packages).filter(([path]) => path !== '');
    const dev = installed.filter(([, entry]) => entry.dev).map(([path]) => path);
    const production = installed
      .filter(([, entry]) => !entry.dev && !entry.optional && !entry.devOptional)
      .map(([path]) => path);
    const present = JSON.parse(
      await node(
        `const fs = require('fs'); process.stdout.write(JSON.stringify(${JSON.stringify([
          ...dev,
          ...production,
        ])}.filter((path) => fs.existsSync(path))))`,
      ),
    ) as string[];
    expect(dev.length).toBeGreaterThan(0);
    expect(present.filter((path) => dev.includes(path))).toEqual([]);
    expect(present.filter((path) => production.includes(path))).toEqual(production);
  });

  it('turns healthy by its own HEALTHCHECK, on its default port and on one its flags give', async () => {
    const run = (...flags: string[]) =>
      docker(
        ...['run', '--detach', '--label', `${RUN_LABEL}=${runId}`, image],
        ...[...NO_DOCKER, ...flags],
      );
    const ids = await Promise.all([run(), run('--port', '9090', '--bind', '127.0.0.1')]);
    try {
      for (const id of ids)
        await eventually(
          'the container reports healthy',
          () => docker('inspect', '--format', '{{.State.Health.Status}}', id),
          (status) => status === 'healthy',
          { timeoutMs: 60_000, intervalMs: 1000 },
        );
    } finally {
      await docker('rm', '--force', ...ids);
    }
  }, 90_000);

  it('carries no CA certificate of ours and no build secret', async () => {
    // Ours: the certificates of this machine's bundle that Node does not ship (the proxy's CA).
    const ours = pemBodies(readFileSync(SYSTEM_CA_BUNDLE, 'utf8')).filter(
      (body) => !rootCertificates.some((root) => root.includes(body)),
    );
    const dir = mkdtempSync(join(tmpdir(), 'eds-agent-image-'));
    const id = await docker('create', '--label', `${RUN_LABEL}=${runId}`, image);
    try {
      await run('sh', ['-c', `docker export "$0" | tar -x -C "$1"`, id, dir]);
      expect(statSync(join(dir, 'app/dist/main.js')).isFile()).toBe(true);
      expect(() => statSync(join(dir, 'run/secrets/ca_certificates'))).toThrow();
      const found = await run('grep', ['-rlF', ...ours.flatMap((body) => ['-e', body]), dir]).then(
        ({ stdout }) => stdout.trim(),
        () => '',
      );
      expect(found).toBe('');
      const history = await docker('history', '--no-trunc', '--format', '{{.CreatedBy}}', image);
      expect(history).not.toContain('NODE_EXTRA_CA_CERTS=/run');
      expect(
        await docker('image', 'inspect', '--format', '{{json .Config.Env}}', image),
      ).not.toMatch(/CA_CERTS/);
    } finally {
      await docker('rm', '--force', id);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe.skipIf(MISSING_TOOLS).each(STACKS)('the compose stack of $file', (stack) => {
  const agents = stack.agents ?? 1;
  it.each(COMPOSES.map((found) => [found.version, found] as const))(
    `comes up with Compose %s at 3 replicas${agents > 1 ? ` and ${agents} agents` : ''}, follows a scale to 1${agents > 1 ? ' while either agent is down' : ''}, and leaves nothing behind`,
    async (_version, command: Compose) => {
      const project = `${runId}${command.version}${stack.service}${STACKS.indexOf(stack)}`;
      const files = [stack.file, ...(stack.override ? [stack.override] : [])].map((file) =>
        join(REPO_ROOT, file),
      );
      await withStack(command, project.toLowerCase(), files, async (up) => {
        const admin = `http://127.0.0.1:${up.port(ADMIN_PORT)}`;
        const agentPorts = Array.from({ length: agents }, (_, i) => up.port(AGENT_PORT + i));
        const envoyHolds = (replicas: number) =>
          eventually(
            `Envoy holds ${replicas} healthy replicas`,
            async () =>
              (await hostsOf(admin, stack.service).catch(() => [])).filter(
                (host) => host.edsHealth === 'HEALTHY',
              ).length,
            (n) => n === replicas,
            patience,
          );
        const scaleWeb = (replicas: number) =>
          agents > 1
            ? up.up({ [stack.service]: replicas }, ['--no-deps', stack.service])
            : up.up({ [stack.service]: replicas });
        await up.up({ [stack.service]: 3, ...(agents > 1 ? { 'eds-agent': agents } : {}) });
        for (const port of agentPorts) await agentReady(port);
        await envoyHolds(3);
        if (stack.domains) {
          const domains = stack.domains;
          await eventually(
            `Envoy's routes hold ${domains.join(' and ')}`,
            async () => (await fetch(`${admin}/config_dump?resource=dynamic_route_configs`)).text(),
            (dump) => domains.every((domain) => dump.includes(`"${domain}"`)),
            patience,
          );
        }
        if (stack.frontDoor) {
          const { listeners, secrets } = stack.frontDoor;
          await eventually(
            `Envoy holds the listeners ${listeners.join(' and ')} and the secrets ${secrets.join(', ')}`,
            async () =>
              (await (await fetch(`${admin}/config_dump?resource=dynamic_listeners`)).text()) +
              (await (await fetch(`${admin}/config_dump?resource=dynamic_active_secrets`)).text()),
            (dump) => [...listeners, ...secrets].every((name) => dump.includes(`"${name}"`)),
            patience,
          );
        }
        if (agents > 1) {
          // Envoy's xDS cluster is `eds-agent` by DNS: both agents. Whichever Envoy streams
          // from, it follows a change made while one agent is down, then the other.
          await eventually(
            "Envoy's xDS cluster holds both agents",
            async () => (await hostsOf(admin, 'eds_agent_xds').catch(() => [])).length,
            (n) => n === agents,
            patience,
          );
          const [first, second] = await up.containers('eds-agent');
          if (first === undefined || second === undefined) throw new Error('two agents expected');
          await docker('kill', first);
          await scaleWeb(2);
          await envoyHolds(2);
          await docker('start', first);
          await eventually(
            'both agents are ready again',
            async () => (await Promise.all(agentPorts.map(readyStatus))).join(),
            (statuses) => statuses === agentPorts.map(() => 200).join(),
            patience,
          );
          await docker('kill', second);
        }
        await scaleWeb(1);
        await envoyHolds(1);
        expect(await hostsOf(admin, stack.service)).toHaveLength(1);
      });
    },
    240_000,
  );
});

describe.skipIf(MISSING_TOOLS)(`the compose stack of ${PROXYLESS.file}`, () => {
  it.each(COMPOSES.map((found) => [found.version, found] as const))(
    "comes up with Compose %s at 3 greeters, which the example's client on the host reaches, then 1",
    async (_version, command: Compose) => {
      const project = `${runId}${command.version}greeter`.toLowerCase();
      await withStack(command, project, [join(REPO_ROOT, PROXYLESS.file)], async (stack) => {
        await stack.up({ greeter: 3 });
        await agentReady(stack.port(AGENT_PORT));
        const client = startGreeterClient({
          // The agent's gRPC port, as the compose file publishes it (moved to a free port)
          // and xds-bootstrap.json names it.
          servers: [stack.port(18000)],
          service: 'greeter',
          nodeId: `quick-start-${project}`,
          intervalMs: 20,
        });
        try {
          const since = (time: number) =>
            new Set(
              client.calls().flatMap((call) => (call.sentAt > time ? (call.replica ?? []) : [])),
            );
          await eventually(
            'calls reach three greeters',
            () => since(0).size,
            (n) => n === 3,
            patience,
          );
          await stack.up({ greeter: 1 });
          const scaled = Date.now();
          await eventually(
            'calls reach one greeter only',
            () => since(Date.now() - 1000),
            (seen) => seen.size === 1 && Date.now() - scaled > 1000,
            patience,
          );
        } finally {
          client.stop();
        }
      });
    },
    240_000,
  );
});

/** The base64 body of each PEM certificate in `text`, on one line. */
function pemBodies(text: string): string[] {
  return [...text.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)].map(
    (match) => (match[1] ?? '').replace(/\s+/g, '').slice(0, 64),
  );
}
