import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { describe, expect, it } from 'vitest';

import { type Cli, exitOf, NO_DOCKER, portOf, startCli } from '../support/cli.js';
import { freeLoopbackPort } from '../support/free-port.js';

const run = promisify(execFile);
const HEALTHCHECK = fileURLToPath(new URL('../../src/healthcheck.ts', import.meta.url));

/** The Dockerfile's instructions, continuation lines joined, grouped by stage. */
function readStages(): { from: string; name: string | undefined; lines: string[] }[] {
  const text = readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8').replace(
    /\\\n\s*/g,
    '',
  );
  const stages: { from: string; name: string | undefined; lines: string[] }[] = [];
  for (const line of text.split('\n').map((l) => l.trim())) {
    if (line === '' || line.startsWith('#')) continue;
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) stages.push({ from: from[1] ?? '', name: from[2], lines: [] });
    else stages.at(-1)?.lines.push(line);
  }
  return stages;
}

// What can be checked without Docker; test/integration/quick-start.test.ts builds the image
// and runs it.
describe('the Dockerfile', () => {
  const stages = readStages();
  const final = stages.at(-1);

  it('is multi-stage, and the runtime stage gets production dependencies only', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const copiedModules = final?.lines.find((l) => /^COPY --from=\S+ \/app\/node_modules/.test(l));
    const source = stages.find((s) => s.name === /--from=(\S+)/.exec(copiedModules ?? '')?.[1]);
    expect(source?.lines.some((l) => /^RUN .*npm ci --omit=dev --ignore-scripts$/.test(l))).toBe(
      true,
    );
    expect(final?.lines.some((l) => l.startsWith('RUN npm'))).toBe(false);
    expect(final?.lines).toContain('COPY --from=build /app/dist ./dist');
  });

  it('runs as a non-root user', () => {
    const user = final?.lines
      .filter((l) => l.startsWith('USER '))
      .at(-1)
      ?.split(/\s+/)[1];
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user);
  });

  it('has a HEALTHCHECK that asks the agent at the port and address its flags or environment gave it', async () => {
    const healthcheck = final?.lines.find((l) => l.startsWith('HEALTHCHECK'));
    const command = JSON.parse(/CMD\s+(\[.*\])$/.exec(healthcheck ?? '')?.[1] ?? '[]') as string[];
    expect(command).toEqual(['node', 'dist/healthcheck.js']);
    // The same program from the sources, told which agent to ask (others may run here).
    const check = (agent: Cli) =>
      run(process.execPath, ['--import', 'tsx', HEALTHCHECK, String(agent.pid)]).then(
        () => 0,
        (error: unknown) => (error as { code?: number }).code ?? -1,
      );
    const byFlags = startCli([
      '--port',
      String(await freeLoopbackPort()),
      '--bind',
      '127.0.0.1',
      ...NO_DOCKER,
    ]);
    const byEnv = startCli([...NO_DOCKER], {
      EDS_AGENT_PORT: String(await freeLoopbackPort()),
      EDS_AGENT_BIND: '127.0.0.1',
    });
    for (const agent of [byFlags, byEnv]) {
      await portOf(agent);
      expect(await check(agent)).toBe(0);
      agent.kill('SIGTERM');
      await exitOf(agent);
      expect(await check(agent)).toBe(1);
    }
  }, 60_000);

  it('starts the compiled entry point that `npm run build` produces, as `npm start` does: its Node flags and malloc settings', () => {
    const { scripts } = JSON.parse(
      readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
    ) as { scripts: { start: string } };
    const start = /^((?:\w+=\S+ )*)node (.*)$/.exec(scripts.start);
    const [env = '', command = ''] = start?.slice(1) ?? [];
    expect(command).toBe('--optimize-for-size dist/main.js');
    expect(final?.lines).toContain(
      `ENTRYPOINT ${JSON.stringify(['node', ...command.split(' ')]).replaceAll(',', ', ')}`,
    );
    expect(env).toMatch(/^MALLOC_ARENA_MAX=2 /);
    expect(final?.lines).toContain(`ENV ${env.trim()}`);
    const build = JSON.parse(
      readFileSync(new URL('../../tsconfig.build.json', import.meta.url), 'utf8'),
    ) as {
      compilerOptions: { rootDir: string; outDir: string };
    };
    expect(build.compilerOptions).toMatchObject({ rootDir: 'src', outDir: 'dist' });
  });
});
