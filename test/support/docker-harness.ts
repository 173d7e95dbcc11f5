import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import Docker from 'dockerode';

import { staticBusybox } from './static-busybox.js';

/** Label put on everything a test run creates, so cleanup touches nothing else. */
export const RUN_LABEL = 'eds-agent-test.run';

/** The busybox applets the test image needs. */
const APPLETS = [
  'sh',
  'httpd',
  'hostname',
  'mkdir',
  'sleep',
  'touch',
  'rm',
  'test',
  'true',
  'cat',
  'wget',
  'chmod',
  'env',
  'grep',
  'sort',
];

/**
 * A shell command for the test image: serve the container's hostname (its short id) on
 * `port`, at `/` and at `<dir>/` for each of `dirs` (e.g. `/api`).
 */
export function serveHostname(port = 8000, dirs: readonly string[] = []): string[] {
  const pages = ['', ...dirs].map(
    (dir) => `mkdir -p /www${dir} && hostname > /www${dir}/index.html`,
  );
  return ['sh', '-c', `${pages.join(' && ')} && exec httpd -f -p ${port} -h /www`];
}

/**
 * Like `serveHostname`, for a server that stops well: on SIGTERM it keeps serving for
 * `drainSeconds` (so load balancers can move away; requests in flight complete), then exits.
 * Without a trap, busybox httpd as PID 1 would ignore SIGTERM until Docker's SIGKILL.
 */
export function serveHostnameDrainingOnTerm(drainSeconds: number, port = 8000): string[] {
  return [
    'sh',
    '-c',
    [
      'mkdir -p /www && hostname > /www/index.html',
      `httpd -f -p ${port} -h /www & server=$!`,
      `trap 'sleep ${drainSeconds}; kill $server' TERM`,
      // `wait` returns when the trap fires; the trap runs; the second `wait` reaps the server.
      'wait $server; wait $server',
    ].join('\n'),
  ];
}

/**
 * A shell command for the test image: a server on `port` whose answers a test can turn bad
 * from inside the container (`docker exec`), for Envoy's health checks, outlier detection,
 * limits and timeouts:
 * - `/` answers the container's hostname;
 * - `/health` answers 200 while `/www/health` exists (`rm` it: 404);
 * - `/cgi-bin/status` answers the hostname, or `503` while `/tmp/fail` exists;
 * - `/cgi-bin/slow` answers the hostname after one second.
 */
export function serveTurnableProbe(port = 8000): string[] {
  const cgi = (name: string, body: string) =>
    `cat > /www/cgi-bin/${name} <<'EOF'\n#!/bin/sh\n${body}\nEOF\nchmod +x /www/cgi-bin/${name}`;
  const answer = 'echo "Content-Type: text/plain"; echo; hostname';
  return [
    'sh',
    '-c',
    [
      'mkdir -p /www/cgi-bin && hostname > /www/index.html && echo ok > /www/health',
      cgi(
        'status',
        `if test -e /tmp/fail; then echo "Status: 503 Service Unavailable"; echo "Content-Type: text/plain"; echo; echo failing; else ${answer}; fi`,
      ),
      cgi('slow', `sleep 1; ${answer}`),
      `exec httpd -f -p ${port} -h /www`,
    ].join('\n'),
  ];
}

/**
 * A shell command for the test image: a server on `port` that shows what reached it, for the
 * edge policy scenarios:
 * - `/` answers the container's hostname;
 * - `/cgi-bin/env` answers the hostname, then each request header as `HTTP_<NAME>=<value>`
 *   (busybox httpd's CGI), with an `X-Powered-By: busybox` header;
 * - `/big.txt` is 8 KiB of text, worth compressing.
 */
export function serveEcho(port = 8000): string[] {
  return [
    'sh',
    '-c',
    [
      'mkdir -p /www/cgi-bin && hostname > /www/index.html',
      "cat > /www/cgi-bin/env <<'EOF'",
      '#!/bin/sh',
      'echo "Content-Type: text/plain"; echo "X-Powered-By: busybox"; echo',
      'hostname; env | grep ^HTTP_ | sort',
      'EOF',
      'chmod +x /www/cgi-bin/env',
      'i=0; while test $i -lt 128; do echo "line $i of a text worth compressing, again and again"; i=$((i+1)); done > /www/big.txt',
      `exec httpd -f -p ${port} -h /www`,
    ].join('\n'),
  ];
}

/**
 * A shell command for the test image: a TLS server on `port` (openssl's `s_server -www`, which
 * answers `GET /` with a page of its own) with `certificate` and `key` (PEM). On SIGTERM it
 * keeps serving for `drainSeconds`, then exits, as a server that stops well does.
 */
export function serveTls(
  certificate: string,
  key: string,
  drainSeconds = 2,
  port = 8000,
): string[] {
  return [
    'sh',
    '-c',
    [
      'printf "%s" "$0" > /tmp/cert.pem && printf "%s" "$1" > /tmp/key.pem',
      `openssl s_server -quiet -accept ${port} -cert /tmp/cert.pem -key /tmp/key.pem -www & server=$!`,
      `trap 'sleep ${drainSeconds}; kill $server' TERM`,
      'wait $server; wait $server',
    ].join('\n'),
    certificate,
    key,
  ];
}

/** The host's openssl binary, or undefined. */
function whichOpenssl(): string | undefined {
  const found = spawnSync('sh', ['-c', 'command -v openssl'], { encoding: 'utf8' });
  const path = found.stdout.trim();
  return found.status === 0 && path !== '' ? realpathSync(path) : undefined;
}

/** Copies `binary` to `to` and each shared library `ldd` names to the same path under `root`. */
function copyWithLibraries(binary: string, to: string, root: string): void {
  copyFileSync(binary, to);
  const ldd = spawnSync('ldd', [binary], { encoding: 'utf8' }).stdout;
  for (const match of ldd.matchAll(/(\/\S+\.so[^\s]*)/g)) {
    const library = match[1] ?? '';
    mkdirSync(join(root, dirname(library)), { recursive: true });
    copyFileSync(realpathSync(library), join(root, library));
  }
}

export interface ContainerSpec {
  readonly labels?: Record<string, string>;
  /** Another image than the test image (which must exist: see stand-in-images.ts). */
  readonly image?: string;
  readonly cmd?: string[];
  readonly env?: Record<string, string>;
  /** Host folders mounted read-only at the same path. */
  readonly readOnlyMounts?: string[];
  /** Container ports to expose, e.g. `[8000]`. */
  readonly expose?: number[];
  /** Container ports to publish on 127.0.0.1 with a free host port. */
  readonly publishLoopback?: number[];
  /** Container ports to publish on all interfaces with a free host port. */
  readonly publishAll?: number[];
  readonly network?: string;
  readonly healthcheck?: { test: string[]; intervalMs: number; retries: number };
  readonly name?: string;
  /** Seconds `docker stop` waits after SIGTERM before SIGKILL (Docker's default is 10). */
  readonly stopTimeout?: number;
  /** Restarted by the engine whenever it stops, and when the engine starts again. */
  readonly restartAlways?: boolean;
}

/**
 * Everything an integration test does to a Docker engine: a per-run id and label, an image
 * built offline from the host's static busybox, containers and networks labelled with the run
 * id, and a cleanup that removes exactly what this run created.
 */
export class DockerHarness {
  readonly runId = `t${randomBytes(4).toString('hex')}`;
  readonly docker: Docker;
  readonly image: string;
  readonly #networks: string[] = [];

  constructor(readonly socketPath = '/var/run/docker.sock') {
    this.docker = new Docker({ socketPath });
    // Fully qualified: Podman would look a short name up in registries, which are out of reach.
    this.image = `localhost/eds-agent-test/busybox:${this.runId}`;
  }

  /** Fails with an actionable message when no engine answers. */
  async assertEngine(): Promise<void> {
    try {
      await this.docker.ping();
    } catch (error) {
      throw new Error(
        `integration tests need a Docker engine at unix://${this.socketPath} (start dockerd, or run .ci/run): ${String(error)}`,
      );
    }
  }

  /**
   * Builds the test image with `docker import` of a root filesystem holding static busybox,
   * and the host's openssl with the libraries it loads when the host has it.
   */
  async buildImage(): Promise<void> {
    await this.assertEngine();
    const busybox = staticBusybox();
    const root = mkdtempSync(join(tmpdir(), 'eds-agent-rootfs-'));
    try {
      mkdirSync(join(root, 'bin'));
      mkdirSync(join(root, 'tmp'));
      copyFileSync(busybox, join(root, 'bin', 'busybox'));
      for (const applet of APPLETS) symlinkSync('busybox', join(root, 'bin', applet));
      // The host's openssl, for a container that terminates TLS itself (`serveTls`).
      const openssl = whichOpenssl();
      if (openssl) copyWithLibraries(openssl, join(root, 'bin', 'openssl'), root);
      const tar = spawn('tar', ['-C', root, '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
      // The tag goes in `repo` (the API allows it there): Podman ignores a separate `tag`.
      const stream = await this.docker.importImage(tar.stdout, { repo: this.image });
      await new Promise<void>((resolve, reject) => {
        this.docker.modem.followProgress(stream, (error) => {
          if (error) reject(error);
          else resolve();
        });
      });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }

  /** Creates and starts a container of the test image, labelled with the run id. */
  async run(spec: ContainerSpec): Promise<Docker.Container> {
    const ports = [
      ...(spec.expose ?? []),
      ...(spec.publishLoopback ?? []),
      ...(spec.publishAll ?? []),
    ];
    const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
    for (const port of spec.publishLoopback ?? [])
      bindings[`${port}/tcp`] = [{ HostIp: '127.0.0.1', HostPort: '' }];
    for (const port of spec.publishAll ?? [])
      bindings[`${port}/tcp`] = [{ HostIp: '', HostPort: '' }];
    const container = await this.docker.createContainer({
      Image: spec.image ?? this.image,
      Cmd: spec.cmd ?? serveHostname(),
      ...(spec.env
        ? { Env: Object.entries(spec.env).map(([name, value]) => `${name}=${value}`) }
        : {}),
      Labels: { ...spec.labels, [RUN_LABEL]: this.runId },
      ExposedPorts: Object.fromEntries(ports.map((port) => [`${port}/tcp`, {}])),
      ...(spec.name ? { name: spec.name } : {}),
      ...(spec.stopTimeout === undefined ? {} : { StopTimeout: spec.stopTimeout }),
      ...(spec.healthcheck
        ? {
            Healthcheck: {
              Test: spec.healthcheck.test,
              Interval: spec.healthcheck.intervalMs * 1e6,
              Timeout: 2e9,
              Retries: spec.healthcheck.retries,
            },
          }
        : {}),
      HostConfig: {
        PortBindings: bindings,
        ...(spec.readOnlyMounts
          ? { Binds: spec.readOnlyMounts.map((path) => `${path}:${path}:ro`) }
          : {}),
        ...(spec.network ? { NetworkMode: spec.network } : {}),
        ...(spec.restartAlways ? { RestartPolicy: { Name: 'always' } } : {}),
      },
    });
    await container.start();
    return container;
  }

  /** Runs `cmd` in the container and waits until it ends. */
  async exec(container: Docker.Container, cmd: string[]): Promise<void> {
    const execution = await container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
    const stream = await execution.start({});
    await new Promise<void>((resolve) => {
      stream.on('end', resolve);
      stream.resume();
    });
  }

  /** Creates a bridge network labelled with the run id; its name is unique to the run. */
  async createNetwork(suffix: string): Promise<string> {
    const name = `${this.runId}_${suffix}`;
    await this.docker.createNetwork({
      Name: name,
      Driver: 'bridge',
      Labels: { [RUN_LABEL]: this.runId },
    });
    this.#networks.push(name);
    return name;
  }

  /** The container's IP on `network`, as Docker reports it. */
  async ipOn(container: Docker.Container, network: string): Promise<string> {
    const info = await container.inspect();
    return info.NetworkSettings.Networks[network]?.IPAddress ?? '';
  }

  /** The host port Docker published for `containerPort`. */
  async hostPort(container: Docker.Container, containerPort: number): Promise<number> {
    const info = await container.inspect();
    return Number(info.NetworkSettings.Ports[`${containerPort}/tcp`]?.[0]?.HostPort);
  }

  /** Containers of this run, optionally narrowed by more labels. */
  async listRunContainers(extraLabels: string[] = []): Promise<Docker.ContainerInfo[]> {
    return this.docker.listContainers({
      all: true,
      filters: JSON.stringify({ label: [`${RUN_LABEL}=${this.runId}`, ...extraLabels] }),
    });
  }

  /** Removes this run's containers, networks and image; never anything else. */
  async cleanup(): Promise<void> {
    for (const info of await this.listRunContainers().catch(() => [])) {
      await this.docker
        .getContainer(info.Id)
        .remove({ force: true })
        .catch(() => undefined);
    }
    for (const name of this.#networks)
      await this.docker
        .getNetwork(name)
        .remove()
        .catch(() => undefined);
    await this.docker
      .getImage(this.image)
      .remove({ force: true })
      .catch(() => undefined);
  }
}
