import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root, with a trailing slash. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Files of the repository (tracked, or new and not ignored) whose path matches `pattern`, so a
 * config added later is checked without anyone listing it.
 */
export function repoFiles(pattern: RegExp): string[] {
  const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  return listed
    .split('\n')
    .filter((path) => pattern.test(path))
    .sort();
}
