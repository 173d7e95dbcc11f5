// The layering of eds-agent, enforced by `npm run lint` (dependency-cruiser). Sources turn the
// outside world into records, the core is pure, transports serve the snapshot; see
// docs/development.md. test/unit/layering.test.ts shows each rule failing on a bad import.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'Modules import each other in one direction only.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-is-pure',
      comment: 'src/core imports nothing of the agent outside it.',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { path: '^src/', pathNot: '^src/core/' },
    },
    {
      name: 'core-does-no-io',
      comment:
        'src/core uses no Node.js module but crypto (content hashes) and net (isIP): no I/O, no timers.',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { dependencyTypes: ['core'], pathNot: '^(crypto|net)$' },
    },
    {
      name: 'sources-not-to-transports',
      comment: 'A source never imports a transport.',
      severity: 'error',
      from: { path: '^src/sources/' },
      to: { path: '^src/transports/' },
    },
    {
      name: 'transports-not-to-sources',
      comment: 'A transport never imports a source: it reads the snapshot.',
      severity: 'error',
      from: { path: '^src/transports/' },
      to: { path: '^src/sources/' },
    },
    {
      name: 'agent-not-to-development',
      comment: 'The agent imports nothing of the tests, benchmarks or scripts.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench|scripts)/' },
    },
  ],
  options: {
    // Type-only imports count: a cycle of types is a cycle of meaning.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
  },
};
