import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';

const FILE = fileURLToPath(new URL('../BENCHMARKS.md', import.meta.url));
const HEADER =
  "# Benchmarks\n\nNumbers measured on this project's CI machine size (2 cores). Re-run the command to refresh them.\n\n";

/** `2 × <CPU model>, Node vX`: the machine a number was measured on. */
export function describeMachine(): string {
  return `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, Node ${process.version}`;
}

/**
 * Replaces the section between `<!-- name:start -->` and `<!-- name:end -->` in BENCHMARKS.md
 * with `body` (appending it the first time), leaving every other section as it is, and prints it.
 */
export function writeBenchmarksSection(name: string, body: string): void {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const section = `${start}\n${body.trim()}\n${end}`;
  let current = HEADER;
  try {
    current = readFileSync(FILE, 'utf8');
  } catch {
    // first run
  }
  const at = current.indexOf(start);
  const until = current.indexOf(end);
  const next =
    at >= 0 && until > at
      ? `${current.slice(0, at)}${section}${current.slice(until + end.length)}`
      : `${current.trimEnd()}\n\n${section}\n`;
  writeFileSync(FILE, next);
  console.log(section);
}
