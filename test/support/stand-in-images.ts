import { execFile, spawn } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

import { requireEnvoy } from './envoy-binary.js';
import { staticBusybox } from './static-busybox.js';

const run = promisify(execFile);

/** Marks an image this module made, so only those are ever removed. */
export const STAND_IN_LABEL = 'eds-agent-test.stand-in';

/**
 * The kinds of image the Dockerfile and compose files name, and how each is stood in for: the
 * Node base (this machine's node and npm), Envoy (the Envoy binary the tests use), and the
 * `whoami` upstream (busybox httpd answering `Hostname: <hostname>` on port 80).
 */
const KINDS = [
  { prefix: 'node:', build: nodeRoot, changes: ['CMD ["node"]'] },
  {
    prefix: 'envoyproxy/envoy:',
    build: envoyRoot,
    changes: ['CMD ["envoy", "-c", "/etc/envoy/envoy.yaml"]', 'EXPOSE 10000'],
  },
  {
    prefix: 'traefik/whoami:',
    build: whoamiRoot,
    changes: [
      // Exits at once on SIGTERM, as the real whoami does (httpd as PID 1 would ignore it).
      `CMD ["sh", "-c", "mkdir -p /www && echo \\"Hostname: $(hostname)\\" > /www/index.html; httpd -f -p 80 -h /www & pid=$!; trap 'kill $pid; exit 0' TERM; wait"]`,
      'EXPOSE 80',
    ],
  },
] as const;

const PATH_ENV = 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * Makes every image in `names` available under exactly that name, offline: an image that is
 * already there and not a stand-in (a real one, on a machine that can pull) is used as it
 * is, and so is a stand-in left by an earlier run; otherwise a stand-in is built with
 * `docker import` and labelled (remove them with {@link removeStandIns}). An image of no known
 * kind fails, naming it.
 */
export async function provideStandIns(names: readonly string[]): Promise<void> {
  for (const name of new Set(names)) {
    if ((await labelOf(name)) !== 'absent') continue;
    const kind = KINDS.find((candidate) => name.startsWith(candidate.prefix));
    if (!kind) throw new Error(`no stand-in for the image ${name}: it cannot be pulled here`);
    await importRoot(name, kind.build, [...kind.changes, PATH_ENV, `LABEL ${STAND_IN_LABEL}=1`]);
  }
}

/** Removes those of `names` that are stand-ins (never a real image). */
export async function removeStandIns(names: readonly string[]): Promise<void> {
  for (const name of names) {
    if ((await labelOf(name)) === 'stand-in')
      await run('docker', ['image', 'rm', '--force', name]).catch(() => undefined);
  }
}

/** Whether `name` is absent, a stand-in of ours, or a real image. */
async function labelOf(name: string): Promise<'absent' | 'stand-in' | 'real'> {
  try {
    const { stdout } = await run('docker', [
      'image',
      'inspect',
      '--format',
      `{{index .Config.Labels "${STAND_IN_LABEL}"}}`,
      name,
    ]);
    return stdout.trim() === '1' ? 'stand-in' : 'real';
  } catch {
    return 'absent';
  }
}

/** Fills a fresh root filesystem with `build`, then `tar | docker import` with `changes`. */
async function importRoot(
  name: string,
  build: (root: string) => Promise<void>,
  changes: readonly string[],
): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'eds-agent-stand-in-'));
  try {
    for (const dir of ['tmp', 'etc', 'bin', 'usr/bin', 'usr/local/bin']) {
      mkdirSync(join(root, dir), { recursive: true });
    }
    chmodSync(join(root, 'tmp'), 0o1777);
    writeFileSync(
      join(root, 'etc/passwd'),
      'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\n',
    );
    writeFileSync(join(root, 'etc/group'), 'root:x:0:\nnode:x:1000:\n');
    await build(root);
    const args = ['import', ...changes.flatMap((change) => ['--change', change]), '-', name];
    const docker = spawn('docker', args, { stdio: ['pipe', 'ignore', 'pipe'] });
    const tar = spawn('tar', ['-C', root, '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
    tar.stdout.pipe(docker.stdin);
    let stderr = '';
    docker.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [tarCode, dockerCode] = await Promise.all([exitCode(tar), exitCode(docker)]);
    if (tarCode !== 0 || dockerCode !== 0)
      throw new Error(`docker import of the stand-in ${name} failed: ${stderr.trim()}`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

function exitCode(child: ReturnType<typeof spawn>): Promise<number | null> {
  return new Promise((resolve) => child.on('close', resolve));
}

/** Busybox, with `applets` linked in /bin. */
function addBusybox(root: string, applets: readonly string[]): void {
  copyFileSync(staticBusybox(), join(root, 'bin/busybox'));
  for (const applet of applets) symlinkSync('busybox', join(root, 'bin', applet));
}

/** `binary` at `target` in the root, with every shared library `ldd` lists, at its own path. */
async function addBinary(root: string, binary: string, target: string): Promise<void> {
  copyFileSync(binary, join(root, target));
  const { stdout } = await run('ldd', [binary]);
  for (const match of stdout.matchAll(/(\/\S+) \(0x/g)) {
    const library = match[1] ?? '';
    mkdirSync(join(root, dirname(library)), { recursive: true });
    if (!existsSync(join(root, library))) copyFileSync(library, join(root, library));
  }
}

/** Node and npm from this machine, where the official image has them (`/usr/local`). */
async function nodeRoot(root: string): Promise<void> {
  addBusybox(root, ['sh']);
  symlinkSync('/bin/busybox', join(root, 'usr/bin/env')); // npm's `#!/usr/bin/env node`
  await addBinary(root, process.execPath, 'usr/local/bin/node');
  const npm = join(dirname(process.execPath), '../lib/node_modules/npm');
  if (!existsSync(npm)) throw new Error(`the Node stand-in needs npm at ${npm}`);
  cpSync(npm, join(root, 'usr/local/lib/node_modules/npm'), { recursive: true });
  symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', join(root, 'usr/local/bin/npm'));
  // The official image's home of its `node` user (uid 1000), which a named volume mounted on it
  // takes its owner from; open to every user here, as the import makes root own it.
  mkdirSync(join(root, 'home/node'), { recursive: true });
  chmodSync(join(root, 'home/node'), 0o777);
}

/** The Envoy binary the tests run, where the official image has it. */
async function envoyRoot(root: string): Promise<void> {
  await addBinary(root, requireEnvoy(), 'usr/local/bin/envoy');
  mkdirSync(join(root, 'etc/envoy'));
}

async function whoamiRoot(root: string): Promise<void> {
  addBusybox(root, ['sh', 'httpd', 'hostname', 'mkdir']);
  return Promise.resolve();
}
