import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { cruise, type IConfiguration, type ICruiseResult } from 'dependency-cruiser';
import extractTsConfig from 'dependency-cruiser/config-utl/extract-ts-config';
import { afterAll, describe, expect, it } from 'vitest';

import { REPO_ROOT } from '../support/repo-files.js';

// The layering rules `npm run lint` enforces (.dependency-cruiser.cjs), each shown failing on
// a deliberately bad import in a small tree of its own, laid out as src/ is.

const config = createRequire(import.meta.url)(
  join(REPO_ROOT, '.dependency-cruiser.cjs'),
) as IConfiguration;

/** The rules each file of `tree` breaks, as `<rule>: <from> → <to>`. */
async function violationsOf(tree: Record<string, string>): Promise<string[]> {
  const root = mkdtempSync(join(tmpdir(), 'eds-agent-layering-'));
  dirs.push(root);
  const files = {
    'tsconfig.json': JSON.stringify({
      compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true },
      include: ['src'],
    }),
    ...tree,
  };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  const { output } = await cruise(
    ['src'],
    {
      ...config.options,
      baseDir: root,
      ruleSet: { forbidden: config.forbidden ?? [] },
      validate: true,
    },
    undefined,
    { tsConfig: extractTsConfig(join(root, 'tsconfig.json')) },
  );
  return (output as ICruiseResult).summary.violations
    .map((violation) => `${violation.rule.name}: ${violation.from} → ${violation.to}`)
    .sort();
}
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A module that exports `name` and imports each of `imports`. */
const module = (name: string, ...imports: string[]) =>
  [...imports.map((path, i) => `import { x${i} } from '${path}';`), `export const ${name} = 1;`]
    .concat(imports.map((_, i) => `void x${i};`))
    .join('\n');

describe('the layering rules', () => {
  it('pass a tree that keeps them', async () => {
    expect(
      await violationsOf({
        'src/core/a.ts': module('x0'),
        'src/config/f.ts': module('x0', '../core/a.js'),
        'src/snapshot-store.ts': module('x0', './core/a.js'),
        'src/metrics/m.ts': module('x0', '../core/a.js', '../config/f.js'),
        'src/sources/b.ts': module('x0', '../core/a.js', '../snapshot-store.js'),
        'src/transports/http/c.ts': module('x0', '../shared/d.js', '../../metrics/m.js'),
        'src/transports/shared/d.ts': module('x0', '../../core/a.js'),
        'src/start-agent.ts': module('x0', './sources/b.js', './transports/http/c.js'),
        'src/main.ts': module('x0', './start-agent.js'),
      }),
    ).toEqual([]);
  });

  it.each<[rule: string, tree: Record<string, string>, violation: string]>([
    [
      'the core imports nothing of the agent',
      {
        'src/core/a.ts': module('x0', '../transports/serve.js'),
        'src/transports/serve.ts': module('x0'),
      },
      'core-is-pure: src/core/a.ts → src/transports/serve.ts',
    ],
    [
      'the core does no I/O',
      {
        'src/core/a.ts': "import { readFileSync } from 'node:fs';\nexport const x0 = readFileSync;",
      },
      'core-does-no-io: src/core/a.ts → fs',
    ],
    [
      'a source never imports a transport',
      {
        'src/sources/docker/watch.ts': module('x0', '../../transports/http/serve.js'),
        'src/transports/http/serve.ts': module('x0'),
      },
      'sources-not-to-transports: src/sources/docker/watch.ts → src/transports/http/serve.ts',
    ],
    [
      'a transport never imports a source',
      {
        'src/transports/http/serve.ts': module('x0', '../../sources/docker/watch.js'),
        'src/sources/docker/watch.ts': module('x0'),
      },
      'transports-not-to-sources: src/transports/http/serve.ts → src/sources/docker/watch.ts',
    ],
    [
      'a room of the core reaches no room after it',
      {
        'src/core/envoy/build.ts': module('x0', '../index/snapshot.js', '../labels/labels.js'),
        'src/core/index/snapshot.ts': module('x0'),
        'src/core/labels/labels.ts': module('x0'),
      },
      'core-rooms-in-order: src/core/envoy/build.ts → src/core/index/snapshot.ts',
    ],
    [
      'config imports only the core',
      {
        'src/config/flags.ts': module('x0', '../transports/grpc/limits.js'),
        'src/transports/grpc/limits.ts': module('x0'),
      },
      'config-on-core: src/config/flags.ts → src/transports/grpc/limits.ts',
    ],
    [
      'the snapshot store imports only the core',
      {
        'src/snapshot-store.ts': module('x0', './metrics/count.js'),
        'src/metrics/count.ts': module('x0'),
      },
      'snapshot-store-on-core: src/snapshot-store.ts → src/metrics/count.ts',
    ],
    [
      'an observer imports no source',
      {
        'src/status/build.ts': module('x0', '../sources/engine.js'),
        'src/sources/engine.ts': module('x0'),
      },
      'observers-below-sources-and-transports: src/status/build.ts → src/sources/engine.ts',
    ],
    [
      'one observer does not import the other',
      {
        'src/metrics/count.ts': module('x0', '../status/build.js'),
        'src/status/build.ts': module('x0'),
      },
      'observers-below-sources-and-transports: src/metrics/count.ts → src/status/build.ts',
    ],
    [
      'a source imports no observer',
      {
        'src/sources/docker/watch.ts': module('x0', '../../metrics/count.js'),
        'src/metrics/count.ts': module('x0'),
      },
      'sources-not-to-observers: src/sources/docker/watch.ts → src/metrics/count.ts',
    ],
    [
      'the gRPC transport shares only transports/shared with the HTTP one',
      {
        'src/transports/grpc/serve.ts': module('x0', '../http/budget.js', '../shared/tls.js'),
        'src/transports/http/budget.ts': module('x0'),
        'src/transports/shared/tls.ts': module('x0'),
      },
      'transport-rooms-apart: src/transports/grpc/serve.ts → src/transports/http/budget.ts',
    ],
    [
      'the Swarm source shares only sources/engine with the Docker one',
      {
        'src/sources/swarm/follow.ts': module('x0', '../docker/read.js', '../engine/ledger.js'),
        'src/sources/docker/read.ts': module('x0'),
        'src/sources/engine/ledger.ts': module('x0'),
      },
      'source-rooms-apart: src/sources/swarm/follow.ts → src/sources/docker/read.ts',
    ],
    [
      'what the sources share imports none of them',
      {
        'src/sources/engine/ledger.ts': module('x0', '../docker/read.js'),
        'src/sources/docker/read.ts': module('x0'),
      },
      'source-rooms-apart: src/sources/engine/ledger.ts → src/sources/docker/read.ts',
    ],
    [
      'only main imports the wiring',
      {
        'src/transports/http/serve.ts': module('x0', '../../start-agent.js'),
        'src/start-agent.ts': module('x0'),
      },
      'only-main-wires: src/transports/http/serve.ts → src/start-agent.ts',
    ],
    [
      'the agent imports nothing of the tests',
      { 'src/a.ts': module('x0', '../test/support/b.js'), 'test/support/b.ts': module('x0') },
      'agent-not-to-development: src/a.ts → test/support/b.ts',
    ],
  ])('fail when broken: %s', async (_rule, tree, violation) => {
    expect(await violationsOf(tree)).toEqual([violation]);
  });

  it('fail on a cycle, even of types only', async () => {
    expect(
      await violationsOf({
        'src/core/a.ts': "import type { B } from './b.js';\nexport type A = { b?: B };",
        'src/core/b.ts': "import type { A } from './a.js';\nexport type B = { a?: A };",
      }),
    ).toEqual(['no-circular: src/core/a.ts → src/core/b.ts']);
  });
});
