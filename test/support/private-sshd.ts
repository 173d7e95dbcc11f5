import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { eventually } from './eventually.js';
import { freeLoopbackPort } from './free-port.js';
import type { ToolName } from './test-tools.js';

/**
 * An OpenSSH server owned by one test, on a free 127.0.0.1 port, letting in root with one key
 * it makes: a Docker host reached as `ssh://root@127.0.0.1:<port>`, whose `docker system
 * dial-stdio` talks to this machine's engine. Needs root, `sshd` and `ssh-keygen`.
 */
export class PrivateSshd {
  readonly dir = mkdtempSync(join(tmpdir(), 'eds-agent-sshd-'));
  /** The client's private key, which the server accepts. */
  readonly identity = join(this.dir, 'client_ed25519');
  /** A known_hosts file listing the server's real key. */
  readonly knownHosts = join(this.dir, 'known_hosts');
  /** A known_hosts file listing another key for the same host, as after a server swap. */
  readonly wrongKnownHosts = join(this.dir, 'wrong_known_hosts');
  port = 0;
  #process: ChildProcess | undefined;

  /** What running one takes (for `lacks`): root (it lets root in) and OpenSSH's server. */
  static readonly NEEDS = ['root', 'sshd'] as const satisfies ToolName[];

  async start(): Promise<void> {
    const keygen = (path: string) =>
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path]);
    const hostKey = join(this.dir, 'host_ed25519');
    keygen(hostKey);
    keygen(this.identity);
    keygen(join(this.dir, 'other_host_ed25519'));
    this.port = await freeLoopbackPort();
    const entry = (pub: string) =>
      `[127.0.0.1]:${this.port} ${readFileSync(pub, 'utf8').split(' ').slice(0, 2).join(' ')}\n`;
    writeFileSync(this.knownHosts, entry(`${hostKey}.pub`));
    writeFileSync(this.wrongKnownHosts, entry(join(this.dir, 'other_host_ed25519.pub')));
    writeFileSync(join(this.dir, 'authorized_keys'), readFileSync(`${this.identity}.pub`));
    const config = join(this.dir, 'sshd_config');
    writeFileSync(
      config,
      [
        `Port ${this.port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${hostKey}`,
        `PidFile ${join(this.dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${join(this.dir, 'authorized_keys')}`,
        'PermitRootLogin prohibit-password',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        'StrictModes no',
        '',
      ].join('\n'),
    );
    mkdirSync('/run/sshd', { recursive: true }); // sshd's privilege separation directory
    this.#process = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', config], { stdio: 'ignore' });
    await eventually(
      'sshd accepts connections',
      () =>
        new Promise<boolean>((resolve) => {
          const socket = connect(this.port, '127.0.0.1');
          socket.once('connect', () => {
            socket.destroy();
            resolve(true);
          });
          socket.once('error', () => {
            resolve(false);
          });
        }),
      (up) => up,
      { timeoutMs: 10_000 },
    );
  }

  stop(): void {
    this.#process?.kill('SIGTERM');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
