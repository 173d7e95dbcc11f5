import { existsSync, readFileSync } from 'node:fs';
import { Agent } from 'node:https';

import type Docker from 'dockerode';

import type {
  CertFile,
  DockerEndpoint,
  DockerTls,
  SshSettings,
} from '../../config/parse-docker-host.js';
import { fail, ok, type Result } from '../../core/result.js';
import { isKnownHostKey } from './match-known-host.js';

/**
 * dockerode's options for `endpoint`, with every file it needs read now, so a missing or
 * unreadable certificate, key or known_hosts file is one clear problem at start rather than a
 * stack trace later. Everything is explicit: nothing is left for docker-modem to take from
 * the environment.
 */
export function createDockerodeOptions(endpoint: DockerEndpoint): Result<Docker.DockerOptions> {
  switch (endpoint.kind) {
    case 'unix':
      return ok({ socketPath: endpoint.path });
    case 'tcp':
      if (endpoint.tls === undefined)
        return ok({ host: endpoint.host, port: endpoint.port, protocol: 'http' });
      return withTls({ host: endpoint.host, port: endpoint.port, protocol: 'https' }, endpoint.tls);
    case 'ssh':
      return withSsh(endpoint, endpoint.ssh);
  }
}

function withTls(base: Docker.DockerOptions, tls: DockerTls): Result<Docker.DockerOptions> {
  const problems: string[] = [];
  const read = (file: CertFile, what: string, required: boolean): Buffer | undefined => {
    if (!file.explicit && !required && !existsSync(file.path)) return undefined;
    try {
      return readFileSync(file.path);
    } catch (error) {
      const hint = file.explicit ? '' : ' (set DOCKER_CERT_PATH or the --tls* flags)';
      problems.push(`cannot read the ${what} ${file.path}: ${reason(error)}${hint}`);
      return undefined;
    }
  };
  const ca = read(tls.ca, 'TLS CA certificate', tls.verify);
  const cert = read(tls.cert, 'TLS client certificate', false);
  const key = read(tls.key, 'TLS client key', false);
  if ((cert === undefined) !== (key === undefined) && problems.length === 0) {
    problems.push(
      `a TLS client certificate needs its key and the other way round: found ${cert ? tls.cert.path : tls.key.path} alone`,
    );
  }
  if (problems.length > 0) return fail(problems);
  return ok({
    ...base,
    ...(ca ? { ca } : {}),
    ...(cert && key ? { cert, key } : {}),
    // docker --tls without --tlsverify encrypts but accepts any certificate, as the CLI does.
    ...(tls.verify ? {} : { agent: new Agent({ rejectUnauthorized: false }) }),
  });
}

function withSsh(
  endpoint: Extract<DockerEndpoint, { kind: 'ssh' }>,
  ssh: SshSettings,
): Result<Docker.DockerOptions> {
  let knownHosts: string;
  try {
    knownHosts = readFileSync(ssh.knownHostsFile, 'utf8');
  } catch (error) {
    return fail([
      `cannot read ${ssh.knownHostsFile} (${reason(error)}): the key of ${endpoint.host} must be listed there (ssh-keyscan -p ${endpoint.port} ${endpoint.host} >> ${ssh.knownHostsFile}), or name another file with --ssh-known-hosts`,
    ]);
  }
  const identity =
    ssh.identityFile ??
    ['id_ed25519', 'id_ecdsa', 'id_rsa']
      .map((name) => `${ssh.home}/.ssh/${name}`)
      .find((path) => existsSync(path));
  let privateKey: Buffer | undefined;
  if (identity !== undefined) {
    try {
      privateKey = readFileSync(identity);
    } catch (error) {
      return fail([`cannot read the ssh identity ${identity}: ${reason(error)}`]);
    }
  }
  if (privateKey === undefined && ssh.agentSocket === undefined) {
    return fail([
      `no way to log in to ${endpoint.host} over ssh: no ssh-agent (SSH_AUTH_SOCK) and no key in ${ssh.home}/.ssh; name one with --ssh-identity`,
    ]);
  }
  return ok({
    protocol: 'ssh',
    host: endpoint.host,
    port: endpoint.port,
    username: endpoint.username,
    sshOptions: {
      ...(ssh.agentSocket !== undefined ? { agent: ssh.agentSocket } : {}),
      ...(privateKey !== undefined ? { privateKey } : {}),
      hostVerifier: (key: Buffer) => isKnownHostKey(knownHosts, endpoint.host, endpoint.port, key),
    },
  });
}

function reason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  return error instanceof Error ? error.message : String(error);
}
