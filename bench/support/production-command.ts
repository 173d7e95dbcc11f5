import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** How a checkout's `npm start` runs the agent: the environment it sets, and Node's flags. */
export interface ProductionCommand {
  readonly env: Readonly<Record<string, string>>;
  readonly v8Flags: readonly string[];
}

/**
 * Reads `npm start` from the package.json in `dir` (`[NAME=value ...] node [flags] dist/main.js`),
 * so a benchmark runs each checkout as its own users do.
 */
export function productionCommand(dir: string): ProductionCommand {
  const { scripts } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
    scripts: { start: string };
  };
  const words = scripts.start.split(/\s+/);
  const node = words.indexOf('node');
  const main = words.indexOf('dist/main.js');
  if (node < 0 || main < node)
    throw new Error(`npm start is not "node ... dist/main.js": ${scripts.start}`);
  return {
    env: Object.fromEntries(
      words
        .slice(0, node)
        .map((word) => [word.slice(0, word.indexOf('=')), word.slice(word.indexOf('=') + 1)]),
    ),
    v8Flags: words.slice(node + 1, main),
  };
}
