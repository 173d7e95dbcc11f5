import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';

import { REPO_ROOT } from '../../test/support/repo-files.js';

const run = promisify(execFile);

/** A copy of the project at some commit, with its dependencies, built. */
export interface Checkout {
  /** `commit <ref>` or `this checkout`, as tables name it. */
  readonly label: string;
  readonly dir: string;
}

/** Runs `file args` in `cwd`; its standard output, trimmed. */
export const sh = async (cwd: string, file: string, args: readonly string[]): Promise<string> =>
  (await run(file, [...args], { cwd, maxBuffer: 64 * 1024 * 1024 })).stdout.trim();

/**
 * A copy of `ref` (or of this working tree, uncommitted changes included, for `undefined`)
 * under `work`, with its dependencies installed as its lock file says and `npm run build` run:
 * what a benchmark measures beside an earlier commit.
 */
export async function prepareCheckout(ref: string | undefined, work: string): Promise<Checkout> {
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

/** An earlier commit and this working tree, each copied and built: what a benchmark compares. */
export interface Comparison {
  /** The earlier commit, as given. */
  readonly baseline: string;
  readonly before: Checkout;
  readonly current: Checkout;
  /** The temporary folder both copies are in, for whatever else the benchmark writes. */
  readonly work: string;
}

/**
 * Runs `compare` on a copy of the commit `--baseline <commit>` names on the command line
 * (`defaultBaseline` without it) and one of this working tree, both built, in a temporary
 * folder removed afterwards.
 */
export async function compareWithBaseline<T>(
  defaultBaseline: string,
  compare: (comparison: Comparison) => Promise<T>,
): Promise<T> {
  const { values } = parseArgs({ options: { baseline: { type: 'string' } } });
  const baseline = values.baseline ?? defaultBaseline;
  const work = mkdtempSync(join(tmpdir(), 'eds-agent-bench-checkouts-'));
  try {
    const before = await prepareCheckout(baseline, work);
    const current = await prepareCheckout(undefined, work);
    return await compare({ baseline, before, current, work });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** How a comparing benchmark's section opens: its command and file, and the commit it compares with. */
export const describeComparison = (script: string, file: string, baseline: string): string =>
  `Command: \`npm run ${script}\` (${file}), which measures this checkout beside commit ` +
  `\`${baseline}\` (\`-- --baseline <commit>\` picks another) in one run.`;
