import { existsSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import { dirname, join } from 'node:path';

import type Docker from 'dockerode';

const require = createRequire(import.meta.url);

/** The ssh transport of docker-modem (dockerode's HTTP layer): `(sshOptions) => http.Agent`. */
type SshTransport = (options: unknown) => unknown;

/**
 * dockerode's constructor, loaded so that ssh2 is only loaded once an `ssh://` engine is
 * connected to. docker-modem requires its ssh transport, and with it ssh2, when it loads, and
 * ssh2 then instantiates a WebAssembly poly1305 with 16 MB of memory (mscdex/ssh2#1494): about
 * 15 MB of resident memory that an agent on a unix socket or TCP never uses. The transport's
 * module is put in Node's require cache, before dockerode first loads, as a function that
 * loads the real one at its first call. Where docker-modem no longer has that file, dockerode
 * loads as it is.
 */
export function loadDockerode(): typeof Docker {
  deferSshTransport();
  return require('dockerode') as typeof Docker;
}

let deferred = false;

function deferSshTransport(): void {
  if (deferred) return;
  deferred = true;
  const file = sshTransportFile();
  if (file === undefined || require.cache[file]) return;
  let real: SshTransport | undefined;
  const lazy: SshTransport = (options) => {
    if (!real) {
      Reflect.deleteProperty(require.cache, file);
      real = require(file) as SshTransport;
    }
    return real(options);
  };
  const placeholder = new Module(file);
  placeholder.filename = file;
  placeholder.loaded = true;
  placeholder.exports = lazy;
  require.cache[file] = placeholder;
}

/** docker-modem's ssh transport, as dockerode would load it; undefined if it is not there. */
function sshTransportFile(): string | undefined {
  try {
    const modem = require.resolve('docker-modem', {
      paths: [dirname(require.resolve('dockerode'))],
    });
    const file = join(dirname(modem), 'ssh.js');
    return existsSync(file) ? file : undefined;
  } catch {
    return undefined;
  }
}
