// The flake detector: runs one test file n times and prints, per run, whether it passed.
//
//   npm run test:repeat -- <file> <n> [--busy] [--record]
//
// --busy   keeps one core busy with a CPU hog for the whole repeat, as a shared machine is.
// --record writes the file's row into the repeat table of docs/development.md.
//
// Each run's output goes to .test-results/repeat/<file>-<i>.log and a copy of its report
// beside it, so a failed run can be read afterwards; runs are counted by
// .ci/summarize-vitest.mjs, as CI counts them. Exits 1 when any run failed.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, '.test-results', 'repeat');
const DOC = join(ROOT, 'docs', 'development.md');
/** Where vitest writes its report (vitest.config.ts), read as CI reads it. */
const REPORT = join(ROOT, '.test-results', 'vitest.json');

interface Run {
  readonly ok: boolean;
  readonly counts: string;
  readonly seconds: number;
  readonly failures: readonly string[];
}

function usage(): never {
  process.stderr.write('usage: npm run test:repeat -- <test file> <runs> [--busy] [--record]\n');
  process.exit(2);
}

/** One `vitest run` of `file`; its counts and failures as CI's summarizer reads them. */
function runOnce(file: string, index: number): Run {
  const name = `${basename(file, '.test.ts')}-${index}`;
  const log = openSync(join(OUT, `${name}.log`), 'w');
  const started = performance.now();
  rmSync(REPORT, { force: true });
  const vitest = spawnSync(
    process.execPath,
    [join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', file],
    { cwd: ROOT, stdio: ['ignore', log, log] },
  );
  const seconds = (performance.now() - started) / 1000;
  if (existsSync(REPORT)) copyFileSync(REPORT, join(OUT, `${name}.json`));
  const summary = spawnSync(process.execPath, [join(ROOT, '.ci/summarize-vitest.mjs'), REPORT], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, TEST_EXIT_CODE: String(vitest.status ?? 1) },
  });
  const lines = summary.stdout.trim().split('\n');
  const counts = lines.at(-1) ?? '';
  const failures = lines.filter((line) => line.startsWith('FAILED: '));
  return {
    ok: failures.length === 0 && /^\d+ passed, 0 failed/.test(counts),
    counts,
    seconds,
    failures,
  };
}

/** A process that keeps one core busy until killed. */
function startCpuHog(): ChildProcess {
  return spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
}

/** Replaces (or adds) `file`'s row in the table between the repeat markers of docs/development.md. */
function recordRow(file: string, runs: readonly Run[], busy: boolean): void {
  const start = '<!-- repeat:start -->';
  const end = '<!-- repeat:end -->';
  const doc = readFileSync(DOC, 'utf8');
  const at = doc.indexOf(start);
  const until = doc.indexOf(end);
  if (at < 0 || until < at) throw new Error(`${DOC} has no ${start} … ${end} section`);
  const header = [
    '| test file | runs | failed runs | machine | seconds per run | commit |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  const rows = doc
    .slice(at + start.length, until)
    .split('\n')
    .filter((line) => line.startsWith('| `'));
  const commit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], {
    cwd: ROOT,
    encoding: 'utf8',
  }).stdout.trim();
  const failed = runs.filter((run) => !run.ok).length;
  const seconds = runs.map((run) => Math.round(run.seconds)).sort((a, b) => a - b);
  const row = `| \`${file}\` | ${runs.length} | ${failed} | ${busy ? 'one core busy' : 'idle'} | ${seconds[0]}–${seconds.at(-1)} | ${commit} |`;
  const kept = rows.filter((line) => !line.startsWith(`| \`${file}\` `));
  // Unpadded, and so left alone by Prettier, as the README's generated tables are.
  const table = [
    '<!-- prettier-ignore-start -->',
    ...header,
    ...[...kept, row].sort(),
    '<!-- prettier-ignore-end -->',
  ].join('\n');
  writeFileSync(DOC, `${doc.slice(0, at + start.length)}\n${table}\n${doc.slice(until)}`);
}

function main(): void {
  const args = process.argv.slice(2);
  const flags = new Set(args.filter((arg) => arg.startsWith('--')));
  const [file, count] = args.filter((arg) => !arg.startsWith('--'));
  const n = Number(count);
  if (file === undefined || !Number.isInteger(n) || n < 1) usage();
  for (const flag of flags) if (flag !== '--busy' && flag !== '--record') usage();
  mkdirSync(OUT, { recursive: true });

  const hog = flags.has('--busy') ? startCpuHog() : undefined;
  const runs: Run[] = [];
  try {
    for (let i = 1; i <= n; i++) {
      const run = runOnce(file, i);
      runs.push(run);
      const verdict = run.ok ? 'passed' : 'FAILED';
      console.log(`run ${i}/${n}: ${verdict} (${run.counts}) in ${run.seconds.toFixed(0)} s`);
      for (const failure of run.failures) console.log(`  ${failure}`);
    }
  } finally {
    hog?.kill('SIGKILL');
  }
  const failed = runs.filter((run) => !run.ok).length;
  console.log(
    `${file}: ${n - failed} of ${n} runs passed, ${failed} failed${hog ? ' (one core busy)' : ''}`,
  );
  if (flags.has('--record')) recordRow(file, runs, hog !== undefined);
  process.exitCode = failed === 0 ? 0 : 1;
}

main();
