import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { README_PATH, updateReadme } from '../../scripts/reference-tables.js';

// The README's tables of labels and flags are generated from their declarations
// (src/core/labels.ts, src/config/flags.ts): what the parser reads and --help prints is what
// the README says.
describe("the README's reference tables", () => {
  it('are what `npm run gen:readme` writes from the declarations of the labels and flags', async () => {
    const readme = readFileSync(README_PATH, 'utf8');
    expect(readme, 'the README is not what `npm run gen:readme` writes: run it').toBe(
      await updateReadme(readme),
    );
  });

  it('fail when a table is edited by hand', async () => {
    const readme = readFileSync(README_PATH, 'utf8');
    const edited = readme.replace('| `--port` ', '| `--prot` ');
    expect(edited).not.toBe(readme);
    expect(await updateReadme(edited)).toBe(readme);
  });

  it('put the quick start on the first screen', () => {
    const lines = readFileSync(README_PATH, 'utf8').split('\n');
    const quickStart = lines.indexOf('## Quick start');
    expect(quickStart).toBeGreaterThan(0);
    expect(lines.indexOf('docker compose up -d --build --scale web=3')).toBeLessThan(40);
  });
});
