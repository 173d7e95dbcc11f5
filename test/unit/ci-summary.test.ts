import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { REPO_ROOT } from '../support/repo-files.js';

// `.ci/summarize-vitest.mjs` turns vitest's JSON report into CI's closing line. A skip is
// counted, and a skip for want of a tool fails CI, which must run everything.

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Runs the summarizer on a report of `statuses` (and the tests' list of tool skips, if any). */
function summarize(statuses: string[], toolSkips?: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'eds-agent-summary-'));
  dirs.push(dir);
  const report = {
    success: !statuses.includes('failed'),
    testResults: [
      {
        name: join(REPO_ROOT, 'test/unit/example.test.ts'),
        status: statuses.includes('failed') ? 'failed' : 'passed',
        assertionResults: statuses.map((status, i) => ({ status, fullName: `test ${i}` })),
      },
    ],
  };
  writeFileSync(join(dir, 'vitest.json'), JSON.stringify(report));
  if (toolSkips !== undefined) writeFileSync(join(dir, 'skipped-for-tools.txt'), toolSkips);
  const output = execFileSync(
    process.execPath,
    [join(REPO_ROOT, '.ci/summarize-vitest.mjs'), join(dir, 'vitest.json')],
    { encoding: 'utf8' },
  );
  return output.trim().split('\n');
}

describe("CI's closing line", () => {
  it('counts passed, failed and skipped tests', () => {
    expect(summarize(['passed', 'passed', 'failed', 'skipped', 'pending', 'todo'])).toEqual([
      'FAILED: test 2',
      '2 passed, 1 failed, 3 skipped',
    ]);
  });

  it('fails a run that skipped tests for want of a tool, naming it', () => {
    const line =
      'skipped for want of Envoy 1.40.0 (1 test file: envoy-ads.test.ts); to run them: …';
    expect(summarize(['passed', 'skipped'], `${line}\n`)).toEqual([
      `FAILED: a tool is missing in CI: ${line}`,
      '1 passed, 1 failed, 1 skipped',
    ]);
  });
});
