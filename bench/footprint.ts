// What the agent costs to install, ship and start, for this checkout beside an earlier commit,
// in one run: production packages and their size on disk, the image the Dockerfile builds,
// and the time from starting the process to its first `/readyz` 200 with a real Docker
// engine. The earlier commit is by default the last one whose gRPC server read Envoy's .proto
// files from @grpc/grpc-js-xds at every start (before issue 18); give another with
// `--baseline <commit>`.
//
// Usage: npm run bench:footprint [-- --baseline <commit>]   (needs what `npm test` needs;
// writes the table into BENCHMARKS.md)
import { execFile, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';

import { buildImage, dockerfileBaseImages } from '../test/support/agent-image.js';
import { freeLoopbackPort } from '../test/support/free-port.js';
import { REPO_ROOT } from '../test/support/repo-files.js';
import { provideStandIns, removeStandIns } from '../test/support/stand-in-images.js';
import { describeMachine, writeBenchmarksSection } from './write-benchmarks-section.js';

const run = promisify(execFile);
const DEFAULT_BASELINE = '75421e2';
const START_ROUNDS = 9;

interface Checkout {
  readonly label: string;
  readonly dir: string;
}

interface Footprint {
  packages: number;
  bytes: number;
  imageBytes: number;
  imageAddedBytes: number;
  readyMs: number[];
}

const sh = async (cwd: string, file: string, args: string[]) =>
  (await run(file, args, { cwd, maxBuffer: 64 * 1024 * 1024 })).stdout.trim();

/** A copy of `ref` (or of this working tree, `undefined`), built, with all its dependencies. */
async function prepare(ref: string | undefined, work: string): Promise<Checkout> {
  const dir = join(work, ref ?? 'current');
  if (ref === undefined) {
    const files = (
      await sh(REPO_ROOT, 'git', ['ls-files', '--cached', '--others', '--exclude-standard'])
    )
      .split('\n')
      .filter((file) => file !== '');
    for (const file of files) cpSync(join(REPO_ROOT, file), join(dir, file), { recursive: true });
  } else {
    await sh(REPO_ROOT, 'sh', ['-c', `mkdir -p ${dir} && git archive ${ref} | tar -x -C ${dir}`]);
  }
  await sh(dir, 'npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund']);
  await sh(dir, 'npm', ['run', 'build']);
  return { label: ref === undefined ? 'this checkout' : `commit ${ref}`, dir };
}

/** The production dependencies as `npm ci --omit=dev` installs them: how many, and their bytes. */
async function productionModules(checkout: Checkout, work: string) {
  const dir = join(work, `${checkout.label.replaceAll(' ', '-')}-production`);
  for (const file of ['package.json', 'package-lock.json'])
    cpSync(join(checkout.dir, file), join(dir, file));
  await sh(dir, 'npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund']);
  const parseable = await sh(dir, 'npm', ['ls', '--omit=dev', '--all', '--parseable']);
  const packages = parseable.split('\n').filter((line) => line.includes('node_modules')).length;
  const bytes = Number((await sh(dir, 'du', ['-sb', 'node_modules'])).split('\t')[0]);
  return { packages, bytes };
}

/** Builds the checkout's image; its size and what its Dockerfile adds to the base. */
async function imageOf(checkout: Checkout, base: string) {
  const tag = `eds-agent:footprint-${process.pid}-${checkout.label.replaceAll(' ', '-')}`;
  await buildImage(tag, checkout.dir);
  try {
    const size = async (image: string) =>
      Number(await sh(REPO_ROOT, 'docker', ['image', 'inspect', '--format', '{{.Size}}', image]));
    const imageBytes = await size(tag);
    return { imageBytes, imageAddedBytes: imageBytes - (await size(base)) };
  } finally {
    await sh(REPO_ROOT, 'docker', ['image', 'rm', '--force', tag]).catch(() => undefined);
  }
}

/** Milliseconds from spawning the built agent (as `npm start` runs it) to its first `/readyz` 200. */
async function startToReady(checkout: Checkout): Promise<number> {
  const port = await freeLoopbackPort();
  const args = ['--optimize-for-size', 'dist/main.js', '--port', String(port), '--grpc-port', '0'];
  const started = performance.now();
  const child = spawn(process.execPath, [...args, '--bind', '127.0.0.1', '--log-level', 'warn'], {
    cwd: checkout.dir,
    stdio: 'ignore',
  });
  try {
    for (;;) {
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then(
        (reply) => reply.status === 200,
        () => false,
      );
      if (ready) return performance.now() - started;
      if (performance.now() - started > 30_000)
        throw new Error(`${checkout.label}: not ready in 30 s`);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  } finally {
    child.kill('SIGKILL');
  }
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
};
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { baseline: { type: 'string' } } });
  const baseline = values.baseline ?? DEFAULT_BASELINE;
  const work = mkdtempSync(join(tmpdir(), 'eds-agent-footprint-'));
  const bases = dockerfileBaseImages();
  const base = bases[bases.length - 1] ?? '';
  await provideStandIns(bases);
  try {
    const checkouts = [await prepare(baseline, work), await prepare(undefined, work)];
    const results = new Map<Checkout, Footprint>();
    for (const checkout of checkouts) {
      results.set(checkout, {
        ...(await productionModules(checkout, work)),
        ...(await imageOf(checkout, base)),
        readyMs: [],
      });
    }
    // Interleaved, so both see the same machine: one start of each per round.
    for (let round = 0; round < START_ROUNDS; round++)
      for (const checkout of checkouts)
        results.get(checkout)?.readyMs.push(await startToReady(checkout));

    const [before, after] = checkouts.map((checkout) => results.get(checkout) as Footprint);
    if (!before || !after) throw new Error('a checkout was not measured');
    const row = (what: string, of: (f: Footprint) => string) =>
      `| ${what} | ${of(before)} | ${of(after)} |`;
    writeBenchmarksSection(
      'footprint',
      [
        '## Footprint: install, image and start',
        '',
        'Command: `npm run bench:footprint` (bench/footprint.ts), which measures this checkout beside',
        `commit \`${baseline}\` in one run (\`-- --baseline <commit>\` picks another). Production`,
        'dependencies as `npm ci --omit=dev` installs them (`du -sb`); images built from each',
        "checkout's own Dockerfile on the tests' offline stand-in base, so compare what the",
        `Dockerfile adds; start → ready is from spawning \`node --optimize-for-size dist/main.js\` to the`,
        `first \`/readyz\` 200 (its first full sync with this machine's Docker engine), ${START_ROUNDS} starts`,
        `of each, interleaved. Measured ${new Date().toISOString().slice(0, 10)} on ${describeMachine()}.`,
        '',
        `| | commit \`${baseline}\` | this checkout |`,
        '|---|---|---|',
        row('production packages', (f) => String(f.packages)),
        row('production `node_modules`', (f) => mb(f.bytes)),
        row('image, added by the Dockerfile', (f) => mb(f.imageAddedBytes)),
        row('image, whole (stand-in base)', (f) => mb(f.imageBytes)),
        row('start → ready, median', (f) => `${median(f.readyMs).toFixed(0)} ms`),
        row(
          'start → ready, fastest and slowest',
          (f) => `${Math.min(...f.readyMs).toFixed(0)}–${Math.max(...f.readyMs).toFixed(0)} ms`,
        ),
      ].join('\n'),
    );
  } finally {
    await removeStandIns(bases);
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
