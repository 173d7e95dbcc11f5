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
      name: 'source-rooms-apart',
      comment:
        'The Docker, Swarm and registration sources share only sources/engine/, which imports none of them; start-engines.ts joins them.',
      severity: 'error',
      from: { path: '^src/sources/([^/]+)/' },
      to: { path: '^src/sources/', pathNot: '^src/sources/($1|engine)/' },
    },
    {
      name: 'transports-not-to-sources',
      comment: 'A transport never imports a source: it reads the snapshot.',
      severity: 'error',
      from: { path: '^src/transports/' },
      to: { path: '^src/sources/' },
    },
    {
      name: 'core-rooms-in-order',
      comment:
        "Within src/core: the model (files at its root), then labels (declarations, parsing, options), registrations, envoy (clusters, routes, listeners), front-door (the agent's own listeners, TLS domains, secrets), and index (endpoints, EDS assignments, the snapshot), which may use all. Registrations and envoy use the model and labels only; front-door uses envoy too.",
      severity: 'error',
      from: { path: '^src/core/(registrations|labels|envoy)/' },
      to: {
        path: '^src/core/(registrations|labels|envoy|front-door|index)/',
        pathNot: '^src/core/($1|labels)/',
      },
    },
    {
      name: 'front-door-after-envoy',
      comment: 'src/core/front-door builds on the model, labels and envoy; the index builds on it.',
      severity: 'error',
      from: { path: '^src/core/front-door/' },
      to: { path: '^src/core/(registrations|index)/' },
    },
    {
      name: 'config-on-core',
      comment: 'src/config describes what the agent is asked for: it imports only the core.',
      severity: 'error',
      from: { path: '^src/config/' },
      to: { path: '^src/', pathNot: '^src/(config|core)/' },
    },
    {
      name: 'snapshot-store-on-core',
      comment: 'The snapshot store holds the one snapshot: it imports only the core.',
      severity: 'error',
      from: { path: '^src/snapshot-store\\.ts$' },
      to: { path: '^src/', pathNot: '^src/core/' },
    },
    {
      name: 'observers-below-sources-and-transports',
      comment:
        'src/metrics and src/status are told what happens (injected, or types of the core): they import no source, transport or each other.',
      severity: 'error',
      from: { path: '^src/(metrics|status)/' },
      to: { path: '^src/(sources|transports)/|^src/(metrics|status)/', pathNot: '^src/$1/' },
    },
    {
      name: 'sources-not-to-observers',
      comment:
        'A source is observed through what it is handed, never by importing metrics or status.',
      severity: 'error',
      from: { path: '^src/sources/' },
      to: { path: '^src/(metrics|status)/' },
    },
    {
      name: 'transport-rooms-apart',
      comment: 'gRPC and HTTP transports share only src/transports/shared.',
      severity: 'error',
      from: { path: '^src/transports/([^/]+)/' },
      to: { path: '^src/transports/', pathNot: '^src/transports/($1|shared)/' },
    },
    {
      name: 'only-main-wires',
      comment: 'start-agent.ts wires the rooms together; only main.ts imports it.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(main|start-agent)\\.ts$' },
      to: { path: '^src/(start-agent|main)\\.ts$' },
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
