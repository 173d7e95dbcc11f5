// Rewrites the README's generated tables (labels, flags) from their declarations in
// src/core/labels/labels.ts and src/config/flags.ts. A test fails while the README differs from
// what this writes.
//
// Usage: npm run gen:readme
import { readFileSync, writeFileSync } from 'node:fs';

import { README_PATH, updateReadme } from './reference-tables.js';

writeFileSync(README_PATH, updateReadme(readFileSync(README_PATH, 'utf8')));
process.stdout.write(`wrote ${README_PATH}\n`);
