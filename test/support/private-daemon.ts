import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import Docker from 'dockerode';

import { eventually } from './eventually.js';
import { freeLoopbackPort } from './free-port.js';
import type { CertificateFiles } from './test-certificates.js';
import type { ToolName } from './test-tools.js';

/**
 * A Docker engine owned by one test: its own data and exec roots, socket, and bridge, so it
 * can be stopped and restarted without touching anyone's containers on the main engine.
 * It is given a bridge of its own because a second dockerd started with `--bridge none`
 * deletes the host's docker0 (seen with Debian's docker.io 20.10). Needs root, `dockerd`, `ip`.
 */
export class PrivateDaemon {
  readonly dir = mkdtempSync(join(tmpdir(), 'eds-agent-dockerd-'));
  readonly socketPath = join(this.dir, 'docker.sock');
  readonly bridge = `eds${randomBytes(4).toString('hex')}`;
  /** The bridge's network, `10.199.x.0/24`, once created. */
  subnet = '';
  /** The engine also listens on loopback TCP, so the agent's tcp:// path meets a real engine. */
  tcpPort = 0;
  #process: ChildProcess | undefined;

  /** With `tls`, the TCP port speaks only TLS and wants client certificates signed by `tls.ca`. */
  constructor(private readonly tls?: CertificateFiles) {}

  /** What running one takes (for `lacks`): root, dockerd and ip. */
  static readonly NEEDS = ['docker', 'busybox', 'root', 'dockerd'] as const satisfies ToolName[];

  /** Creates the bridge on a free 10.199.x.0/24 and starts the engine. */
  async create(): Promise<void> {
    const inUse = execFileSync('ip', ['-4', 'route'], { encoding: 'utf8' });
    const octet = Array.from({ length: 256 }, (_, i) => i).find(
      (i) => !inUse.includes(`10.199.${i}.`),
    );
    if (octet === undefined) throw new Error('no free 10.199.x.0/24 for the private test daemon');
    // A bridge's address is, unless set, the lowest of its ports' and changes as containers
    // come and go; a container whose neighbour entry holds the old one then sends its answers
    // to no one for 5 s or more. Docker sets the address of the bridges it makes; so does this.
    const mac = randomBytes(6);
    mac[0] = ((mac[0] ?? 0) & 0xfe) | 0x02; // unicast, locally administered
    execFileSync('ip', ['link', 'add', 'name', this.bridge, 'type', 'bridge']);
    execFileSync('ip', ['link', 'set', this.bridge, 'address', toMac(mac)]);
    this.subnet = `10.199.${octet}.0/24`;
    execFileSync('ip', ['addr', 'add', `10.199.${octet}.1/24`, 'dev', this.bridge]);
    execFileSync('ip', ['link', 'set', this.bridge, 'up']);
    this.tcpPort = await freeLoopbackPort();
    await this.start();
  }

  /** Starts the engine and waits until it answers. */
  async start(): Promise<void> {
    const log = openSync(join(this.dir, 'dockerd.log'), 'a');
    this.#process = spawn(
      'dockerd',
      [
        '--data-root',
        join(this.dir, 'data'),
        '--exec-root',
        join(this.dir, 'exec'),
        '--pidfile',
        join(this.dir, 'dockerd.pid'),
        '--host',
        `unix://${this.socketPath}`,
        '--host',
        `tcp://127.0.0.1:${this.tcpPort}`,
        '--bridge',
        this.bridge,
        '--iptables=false',
        '--ip6tables=false',
        '--ip-masq=false',
        // Test containers ignore SIGTERM; do not wait the default 10 s for them on a restart.
        '--shutdown-timeout',
        '1',
        ...(this.tls
          ? [
              '--tlsverify',
              '--tlscacert',
              this.tls.ca,
              '--tlscert',
              this.tls.cert,
              '--tlskey',
              this.tls.key,
            ]
          : []),
      ],
      { stdio: ['ignore', log, log] },
    );
    const docker = new Docker({ socketPath: this.socketPath });
    await eventually(
      'the private dockerd answers',
      () => docker.ping(),
      () => true,
      { timeoutMs: 30_000 },
    );
  }

  /**
   * What the host and each running container of this engine see of the network now, as
   * text: the bridge's address and forwarding table, the neighbour tables on both sides, the
   * TCP sockets towards the containers and inside them, the docker-proxy processes, and the
   * engine's last log lines. Read while a request hangs, it says where the request is held.
   */
  async networkSnapshot(): Promise<string> {
    const run = async (command: string, ...args: string[]) => {
      const out = await promisify(execFile)(command, args, {
        encoding: 'utf8',
        maxBuffer: 16 * 1024 * 1024,
      }).then(
        ({ stdout }) => stdout,
        (error: unknown) => String(error),
      );
      return `$ ${[command, ...args].join(' ')}\n${out.trimEnd()}`;
    };
    const docker = new Docker({ socketPath: this.socketPath });
    const containers = await docker.listContainers().catch(() => []);
    const inside = await Promise.all(
      containers.map(async ({ Id }) => {
        const pid = String((await docker.getContainer(Id).inspect()).State.Pid);
        return [
          `-- container ${Id.slice(0, 12)} (pid ${pid})`,
          await run('nsenter', '-t', pid, '-n', 'ip', 'neigh'),
          await run('nsenter', '-t', pid, '-n', 'ss', '-tnio', 'exclude', 'time-wait'),
        ].join('\n');
      }),
    );
    const logTail = readFileSync(join(this.dir, 'dockerd.log'), 'utf8')
      .split('\n')
      .slice(-30)
      .join('\n');
    return [
      `-- at ${new Date().toISOString()}, load ${readFileSync('/proc/loadavg', 'utf8').trim()}`,
      await run('ip', '-s', 'link', 'show', this.bridge),
      await run('ip', 'neigh', 'show', 'dev', this.bridge),
      await run('bridge', 'fdb', 'show', 'br', this.bridge),
      // Every open socket towards the containers, and towards the ports docker-proxy publishes.
      await run('ss', '-tnpio', 'exclude', 'time-wait', 'dst', this.subnet),
      await run('ss', '-tnpio', 'exclude', 'time-wait', '( dport >= :32768 and dport <= :33767 )'),
      await run('ps', '-o', 'pid,stat,etime,args', '-C', 'docker-proxy'),
      ...inside,
      `-- dockerd.log\n${logTail}`,
    ].join('\n');
  }

  /** Stops the engine the way a daemon restart does (SIGTERM) and waits for it to exit. */
  async stop(): Promise<void> {
    const child = this.#process;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    this.#process = undefined;
  }

  /** Kills the engine with SIGKILL, as a crash or an OOM kill does, and waits for it to exit. */
  async kill(): Promise<void> {
    const child = this.#process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    this.#process = undefined;
  }

  /** Stops the engine and removes its files and bridge. */
  async destroy(): Promise<void> {
    await this.stop();
    try {
      execFileSync('ip', ['link', 'del', this.bridge], { stdio: 'ignore' });
    } catch {
      // already gone
    }
    // An engine killed and started again mounts its data root once more; one stop undoes one.
    const mounts = readFileSync('/proc/self/mounts', 'utf8')
      .split('\n')
      .map((line) => line.split(' ')[1] ?? '')
      .filter((point) => point.startsWith(`${this.dir}/`))
      .reverse();
    for (const point of mounts) execFileSync('umount', ['-l', point], { stdio: 'ignore' });
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** `02:42:0a:...`: six bytes as a MAC address. */
function toMac(bytes: Buffer): string {
  return [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join(':');
}
