import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

import { findTools } from './find-tools.js';
import { describeSkips, MISSING_TOOLS_ENV, SKIP_RECORD, SKIP_SUMMARY } from './test-tools.js';

/**
 * Runs once per `vitest run`: finds (or fetches) the tools the tests need and tells the test
 * processes which are missing; at the end, names what was skipped for want of which tool and
 * the command that installs it (`.ci/run` fails on any such skip).
 */
export default async function setup(): Promise<() => void> {
  for (const file of [SKIP_RECORD, SKIP_SUMMARY]) rmSync(file, { force: true });
  mkdirSync(dirname(SKIP_RECORD), { recursive: true });
  process.env[MISSING_TOOLS_ENV] = (await findTools()).join(',');
  return () => {
    const lines = describeSkips();
    if (lines.length === 0) return;
    writeFileSync(SKIP_SUMMARY, `${lines.join('\n')}\n`);
    process.stdout.write(`\n${lines.join('\n')}\n`);
  };
}
