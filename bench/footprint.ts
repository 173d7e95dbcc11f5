// What the agent costs to install, ship and start, for this checkout beside an earlier commit,
// in one run: production packages and their size on disk, the image the Dockerfile builds,
// and the time from starting the process to its first `/readyz` 200 with a real Docker
// engine. The earlier commit is by default the last one whose gRPC server read Envoy's .proto
// files from @grpc/grpc-js-xds at every start (before issue 18); give another with
// `--baseline <commit>`.
//
// Usage: npm run bench:footprint [-- --baseline <commit>]   (needs what `npm test` needs;
// writes the table into BENCHMARKS.md)
import { spawn } from 'node:child_process';
import { cpSync } from 'node:fs';
import { join } from 'node:path';

import { buildImage, dockerfileBaseImages } from '../test/support/agent-image.js';
import { freeLoopbackPort } from '../test/support/free-port.js';
import { REPO_ROOT } from '../test/support/repo-files.js';
import { provideStandIns, removeStandIns } from '../test/support/stand-in-images.js';
import { type Checkout, compareWithBaseline, sh } from './support/checkouts.js';
import { median } from './support/percentile.js';
import { productionCommand } from './support/production-command.js';
import { describeMachine, writeBenchmarksSection } from './write-benchmarks-section.js';

const DEFAULT_BASELINE = '75421e2';
const START_ROUNDS = 9;

interface Footprint {
  packages: number;
  bytes: number;
  imageBytes: number;
  imageAddedBytes: number;
  readyMs: number[];
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

/** Milliseconds from spawning the built agent (as its `npm start` runs it) to its first `/readyz` 200. */
async function startToReady(checkout: Checkout): Promise<number> {
  const port = await freeLoopbackPort();
  const { env, v8Flags } = productionCommand(checkout.dir);
  const args = [...v8Flags, 'dist/main.js', '--port', String(port), '--grpc-port', '0'];
  const started = performance.now();
  const child = spawn(process.execPath, [...args, '--bind', '127.0.0.1', '--log-level', 'warn'], {
    cwd: checkout.dir,
    stdio: 'ignore',
    env: { ...process.env, ...env },
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

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

async function main(): Promise<void> {
  const bases = dockerfileBaseImages();
  const base = bases[bases.length - 1] ?? '';
  await provideStandIns(bases);
  try {
    await compareWithBaseline(
      DEFAULT_BASELINE,
      async ({ baseline, before: first, current, work }) => {
        const checkouts = [first, current];
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
            `Dockerfile adds; start → ready is from spawning the agent as each checkout's \`npm start\` runs it to the`,
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
      },
    );
  } finally {
    await removeStandIns(bases);
  }
}

await main();
