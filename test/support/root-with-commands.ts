import { execFileSync } from 'node:child_process';

/** Whether this process runs as root and every one of `commands` is on the PATH. */
export function rootWithCommands(...commands: string[]): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    execFileSync('sh', ['-c', commands.map((command) => `command -v ${command}`).join(' && ')], {
      stdio: 'ignore',
    });
    return true;
  } catch {
    return false;
  }
}
