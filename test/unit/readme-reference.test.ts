import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { README_PATH, updateReadme } from '../../scripts/reference-tables.js';

// The README's tables of labels and flags are generated from their declarations
// (src/core/labels/labels.ts, src/config/flags.ts): what the parser reads and --help prints is what
// the README says.
describe("the README's reference tables", () => {
  it('are what `npm run gen:readme` writes from the declarations of the labels and flags', () => {
    const readme = readFileSync(README_PATH, 'utf8');
    expect(readme, 'the README is not what `npm run gen:readme` writes: run it').toBe(
      updateReadme(readme),
    );
  });

  it('fail when a table is edited by hand', () => {
    const readme = readFileSync(README_PATH, 'utf8');
    const edited = readme.replace('| `--port` ', '| `--prot` ');
    expect(edited).not.toBe(readme);
    expect(updateReadme(edited)).toBe(readme);
  });
});

describe("the README's first screen", () => {
  const FIRST_SCREEN = 45;
  const lines = readFileSync(README_PATH, 'utf8').split('\n');
  /** The number of the first line that starts with `text`; fails when there is none. */
  const lineOf = (text: string): number => {
    const at = lines.findIndex((line) => line.startsWith(text));
    expect(at, `no README line starts with ${text}`).toBeGreaterThanOrEqual(0);
    return at;
  };

  it('holds both set-up commands: the one that runs the agent and the one that runs the tests', () => {
    expect(lineOf('npm install && npm start')).toBeLessThan(FIRST_SCREEN);
    expect(lineOf('npm install && npm test')).toBeLessThan(FIRST_SCREEN);
  });

  it('holds the quick start', () => {
    expect(lineOf('## Quick start')).toBeLessThan(FIRST_SCREEN);
    expect(lineOf('docker compose up -d --build --scale web=3')).toBeLessThan(FIRST_SCREEN);
  });

  it('fails when a line it looks for is missing', () => {
    expect(() => lineOf('no such line')).toThrow(/no README line starts with no such line/);
  });
});
