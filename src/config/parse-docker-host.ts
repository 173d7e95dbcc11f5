import { fail, ok, type Result } from '../core/result.js';

/** Where the Docker engine listens, and how to reach it. */
export type DockerEndpoint =
  | { readonly kind: 'unix'; readonly path: string }
  | {
      readonly kind: 'tcp';
      readonly host: string;
      readonly port: number;
      /** TLS as the Docker CLI does it; plain HTTP when undefined. */
      readonly tls: DockerTls | undefined;
    }
  | {
      readonly kind: 'ssh';
      readonly host: string;
      readonly port: number;
      readonly username: string;
      readonly ssh: SshSettings;
    };

/**
 * TLS to a `tcp://` engine, as `docker --tls`/`--tlsverify` does it. Each file is a path
 * and whether it was named explicitly: an explicit file must exist, a default one (in
 * `DOCKER_CERT_PATH` or `~/.docker`) is used if it exists, except the CA when verifying.
 */
export interface DockerTls {
  /** Verify the engine's certificate against the CA (`--tlsverify`); else encrypt only. */
  readonly verify: boolean;
  readonly ca: CertFile;
  readonly cert: CertFile;
  readonly key: CertFile;
}

export interface CertFile {
  readonly path: string;
  readonly explicit: boolean;
}

/** How to log in to an `ssh://` engine host; the engine is then reached with `docker system dial-stdio` there. */
export interface SshSettings {
  /** A running ssh-agent (`SSH_AUTH_SOCK`), tried first. */
  readonly agentSocket: string | undefined;
  /** A private key file; when undefined, the first of ~/.ssh/id_ed25519, id_ecdsa, id_rsa that exists. */
  readonly identityFile: string | undefined;
  /** Where the host's key must be listed, as OpenSSH's known_hosts. */
  readonly knownHostsFile: string;
  /** The user's home, for the default key files. */
  readonly home: string;
}

/** A docker host URL, before the TLS and ssh settings that other flags give. */
export type DockerHostUrl =
  | { readonly kind: 'unix'; readonly path: string }
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number | undefined }
  | {
      readonly kind: 'ssh';
      readonly host: string;
      readonly port: number;
      readonly username: string | undefined;
    };

/**
 * Parses a Docker host URL as the docker CLI writes it: `unix:///var/run/docker.sock`,
 * `tcp://host[:port]` (the port defaults to 2375, or 2376 with TLS, decided by the caller) or
 * `ssh://[user@]host[:port]`.
 */
export function parseDockerHost(value: string, path: string): Result<DockerHostUrl> {
  if (value.startsWith('unix://')) {
    const socket = value.slice('unix://'.length);
    if (socket.startsWith('/')) return ok({ kind: 'unix', path: socket });
  } else if (value.startsWith('tcp://') || value.startsWith('ssh://')) {
    const ssh = value.startsWith('ssh://');
    try {
      const url = new URL(`${ssh ? 'ssh' : 'http'}://${value.slice('tcp://'.length)}`);
      const bare = (url.pathname === '/' || url.pathname === '') && url.search === '';
      const host = url.hostname.replace(/^\[|\]$/g, '');
      if (host !== '' && bare && ssh && url.password === '') {
        return ok({
          kind: 'ssh',
          host,
          port: Number(url.port || 22),
          username: url.username === '' ? undefined : decodeURIComponent(url.username),
        });
      }
      if (host !== '' && bare && !ssh && url.username === '') {
        return ok({ kind: 'tcp', host, port: url.port === '' ? undefined : Number(url.port) });
      }
    } catch {
      // falls through to the message below
    }
  }
  return fail([
    `${path}: expected unix:///path/to/docker.sock, tcp://host:port or ssh://user@host, got ${JSON.stringify(value)}`,
  ]);
}

/** The settings besides the URL that decide how to reach the engine, as read from flags and variables. */
export interface EndpointSettings {
  readonly tls: boolean;
  readonly tlsVerify: boolean;
  /** Set when named by a flag or variable; defaults come from `certDir`. */
  readonly tlsFiles: { readonly ca?: string; readonly cert?: string; readonly key?: string };
  /** `DOCKER_CERT_PATH`, else `~/.docker`. */
  readonly certDir: string;
  readonly sshIdentity: string | undefined;
  readonly sshKnownHosts: string | undefined;
  readonly sshAgentSocket: string | undefined;
  /** For the ssh user when the URL names none. */
  readonly user: string;
  readonly home: string;
}

/**
 * Completes a parsed host URL with its TLS or ssh settings. TLS applies to `tcp://` engines
 * only; a `tcp://` port defaults to 2376 with TLS and 2375 without, as in the Docker CLI.
 */
export function resolveDockerEndpoint(
  url: DockerHostUrl,
  settings: EndpointSettings,
  path: string,
): Result<DockerEndpoint> {
  const wantsTls = settings.tls || settings.tlsVerify;
  switch (url.kind) {
    case 'unix':
      return wantsTls
        ? fail([`${path}: --tls and --tlsverify apply to tcp:// engines, not ${url.kind}://`])
        : ok(url);
    case 'tcp': {
      const file = (name: 'ca' | 'cert' | 'key'): CertFile => {
        const named = settings.tlsFiles[name];
        return named !== undefined
          ? { path: named, explicit: true }
          : { path: `${settings.certDir}/${name}.pem`, explicit: false };
      };
      return ok({
        kind: 'tcp',
        host: url.host,
        port: url.port ?? (wantsTls ? 2376 : 2375),
        tls: wantsTls
          ? { verify: settings.tlsVerify, ca: file('ca'), cert: file('cert'), key: file('key') }
          : undefined,
      });
    }
    case 'ssh':
      if (wantsTls)
        return fail([`${path}: --tls and --tlsverify apply to tcp:// engines, not ssh://`]);
      return ok({
        kind: 'ssh',
        host: url.host,
        port: url.port,
        username: url.username ?? settings.user,
        ssh: {
          agentSocket: settings.sshAgentSocket,
          identityFile: settings.sshIdentity,
          knownHostsFile: settings.sshKnownHosts ?? `${settings.home}/.ssh/known_hosts`,
          home: settings.home,
        },
      });
  }
}
