// The size of the image the Dockerfile builds, split into its base image and what the
// Dockerfile adds on top (compiled JS, production node_modules, package.json). The base here
// is the offline stand-in the tests use (this machine's Node and npm, packed with
// `docker import`) unless the real `node:20-bookworm-slim` is present, so only the added part
// says something about this project.
//
// Usage: npm run bench:image   (needs what `npm test` needs; writes the table into BENCHMARKS.md)
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

import { buildImage, dockerfileBaseImages } from '../test/support/agent-image.js';
import {
  provideStandIns,
  removeStandIns,
  STAND_IN_LABEL,
} from '../test/support/stand-in-images.js';
import { describeMachine, writeBenchmarksSection } from './write-benchmarks-section.js';

const run = promisify(execFile);
const docker = async (...args: string[]) => (await run('docker', args)).stdout.trim();
const TAG = `eds-agent:bench-${process.pid}`;

/** Bytes of an image, as `docker image inspect` reports them. */
const sizeOf = async (image: string) =>
  Number(await docker('image', 'inspect', '--format', '{{.Size}}', image));

/** Bytes under `path` inside the image (summed by node, which every image of ours has). */
const bytesIn = async (image: string, path: string) =>
  Number(
    await docker(
      ...['run', '--rm', '--entrypoint', 'node', image, '-e'],
      `const fs = require('fs'), p = require('path');
       const du = (f) => { const s = fs.lstatSync(f); return s.isDirectory() ? fs.readdirSync(f).reduce((n, e) => n + du(p.join(f, e)), 0) : s.size; };
       process.stdout.write(String(du(${JSON.stringify(path)})))`,
    ),
  );

async function main(): Promise<void> {
  const bases = dockerfileBaseImages();
  const base = bases[bases.length - 1] ?? '';
  await provideStandIns(bases);
  try {
    const started = performance.now();
    await buildImage(TAG);
    const buildSeconds = (performance.now() - started) / 1000;
    const total = await sizeOf(TAG);
    const baseSize = await sizeOf(base);
    const standIn =
      (await docker(
        'image',
        'inspect',
        '--format',
        `{{index .Config.Labels "${STAND_IN_LABEL}"}}`,
        base,
      )) === '1';
    const modules = await bytesIn(TAG, '/app/node_modules');
    const dist = await bytesIn(TAG, '/app/dist');
    const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
    writeBenchmarksSection(
      'image-size',
      [
        '## Image size',
        '',
        'Command: `npm run bench:image` (bench/image-size.ts): `docker build` of the Dockerfile,',
        `sizes as \`docker image inspect\` reports them. The base \`${base}\` here is ${standIn ? "the tests' offline stand-in (this machine's Node and npm)" : 'the real image'}, so`,
        'compare the added layers, not the total. The build time includes both `npm ci` steps (the',
        "stand-in base is new each run, so BuildKit's cache never holds them), through this machine's",
        `registry proxy. Measured ${new Date().toISOString().slice(0, 10)} on ${describeMachine()}.`,
        '',
        '| image | size |',
        '|---|---|',
        `| the whole image | ${mb(total)} |`,
        `| of which the base \`${base}\`${standIn ? ' (stand-in)' : ''} | ${mb(baseSize)} |`,
        `| of which added by the Dockerfile | ${mb(total - baseSize)} |`,
        `| … production \`node_modules\` | ${mb(modules)} |`,
        `| … compiled \`dist/\` | ${mb(dist)} |`,
        `| build time (\`docker build\`, this run) | ${buildSeconds.toFixed(0)} s |`,
      ].join('\n'),
    );
  } finally {
    await docker('image', 'rm', '--force', TAG).catch(() => undefined);
    await removeStandIns(bases);
  }
}

await main();
