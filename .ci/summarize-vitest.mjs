// Summarizes vitest's JSON report for CI logs: one `FAILED: <name>` line per failure, then a
// final `N passed, N failed, N skipped` line. No dependencies, so it runs even when `npm ci`
// did not. A test skipped for want of a tool (the tests write what they skipped for which tool
// to skipped-for-tools.txt beside the report) is a failure here: CI must run everything.
//
// Usage: node .ci/summarize-vitest.mjs .test-results/vitest.json
// Optional: TEST_EXIT_CODE=<exit code of the test command>, so that a run that failed without
// a failed test in the report (an unhandled error, say) is not summarized as a clean one.
// console and process are imported so that ESLint (which defines no Node globals here) passes.
import console from 'node:console';
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import process from 'node:process';

/** Reads and parses the report; returns undefined if it is missing, unreadable or not a report. */
function readReport(file) {
  try {
    const report = JSON.parse(readFileSync(file, 'utf8'));
    return Array.isArray(report?.testResults) ? report : undefined;
  } catch {
    return undefined;
  }
}

/** One log line: newlines folded, long messages cut. */
function oneLine(text) {
  const line = String(text ?? '')
    .replace(/\s+/g, ' ')
    .trim();
  return line.length > 200 ? `${line.slice(0, 200)}...` : line;
}

/** The lines of the tests' own list of what they skipped for want of a tool; none if no such list. */
function readToolSkips(reportFile) {
  try {
    return readFileSync(join(dirname(reportFile), 'skipped-for-tools.txt'), 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '');
  } catch {
    return [];
  }
}

/** Counts passed, failed and skipped tests, and names the failures. */
function summarize(report) {
  let passed = 0;
  let skipped = 0;
  const failures = [];
  for (const file of report.testResults) {
    const tests = Array.isArray(file.assertionResults) ? file.assertionResults : [];
    for (const test of tests) {
      if (test.status === 'passed') passed += 1;
      else if (test.status === 'failed') failures.push(test.fullName ?? test.title ?? '(unnamed)');
      else skipped += 1; // skipped, pending or todo
    }
    // A file that failed with no failed test in it (it did not load, or a beforeAll/afterAll
    // hook threw) counts as one failed test, so that the failure shows in the counts.
    const fileFailed = file.status === 'failed' && !tests.some((t) => t.status === 'failed');
    if (fileFailed) {
      const why = oneLine(file.message) || 'file failed';
      failures.push(`${relative(process.cwd(), String(file.name ?? '(unknown file)'))} (${why})`);
    }
  }
  if (failures.length === 0 && report.success === false) {
    failures.push('vitest reported the run as unsuccessful (no test files found?)');
  }
  return { passed, skipped, failures };
}

function main() {
  const file = process.argv[2] ?? '.test-results/vitest.json';
  const report = readReport(file);
  if (report === undefined) {
    console.log(`FAILED: no readable vitest report at ${file} (did vitest crash?)`);
    console.log('0 passed, 1 failed, 0 skipped');
    return;
  }
  const { passed, skipped, failures } = summarize(report);
  for (const line of readToolSkips(file)) failures.push(`a tool is missing in CI: ${line}`);
  const exitCode = Number(process.env.TEST_EXIT_CODE ?? 0);
  if (failures.length === 0 && exitCode !== 0) {
    failures.push(`the test command exited with code ${exitCode} (see its output above)`);
  }
  for (const name of failures) console.log(`FAILED: ${name}`);
  console.log(`${passed} passed, ${failures.length} failed, ${skipped} skipped`);
}

main();
