import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { type FlagName, FLAGS } from '../../src/config/flags.js';
import { formatHelp } from '../../src/config/format-help.js';
import { parseConfig } from '../../src/config/parse-config.js';
import { toEnvName } from '../../src/config/to-env-name.js';

const engine = (config: ReturnType<typeof run>) => config.engines[0]?.endpoint;
const run = (argv: string[], env: Record<string, string> = {}) => {
  const result = parseConfig(argv, env);
  if (!result.ok) throw new Error(result.problems.join('\n'));
  if (result.value.kind !== 'run') throw new Error('expected a run');
  return result.value.config;
};

describe('parseConfig', () => {
  it('has the documented defaults', () => {
    expect(run([])).toEqual({
      port: 8080,
      grpcPort: 18000,
      grpcLimits: {
        maxStreams: 10_000,
        maxStreamsPerPeer: 256,
        maxConnectionsPerPeer: 256,
        maxResetsPerPeer: 100,
        maxStreamsPerConnection: 16,
        maxNames: 10_000,
        maxNameBytes: 4 * 1024 * 1024,
      },
      bind: '0.0.0.0',
      allowedHosts: [],
      engines: [
        {
          name: 'docker',
          endpoint: { kind: 'unix', path: '/var/run/docker.sock' },
          url: 'unix:///var/run/docker.sock',
          hostIp: '127.0.0.1',
        },
      ],
      engineGraceMs: 60_000,
      routeGraceMs: 300_000,
      address: {
        addressMode: 'container',
        hostIp: '127.0.0.1',
        network: undefined,
        labelPrefix: 'eds',
        serving: {
          exposedByDefault: true,
          constraints: [],
          allowedDomains: [],
          authHosts: [],
          tcpPorts: { min: 1024, max: 65535 },
          upstreamCa: false,
        },
      },
      swarm: { mode: 'auto', resyncMs: 5000 },
      logLevel: 'info',
      stateFile: undefined,
      frontDoor: undefined,
      tls: {
        issuer: 'auto',
        store: undefined,
        lifetimeMs: 24 * 3_600_000,
        certDir: undefined,
        acme: undefined,
        upstreamCa: undefined,
      },
      adminToken: undefined,
      readOnly: false,
      insecureOpenWrites: false,
      registrations: {
        allow: [],
        joinDocker: false,
        maxServices: 1000,
        maxHostsPerService: 1000,
        maxTagsPerHost: 32,
        maxTagBytes: 4096,
      },
      routeConfigName: 'eds-agent',
      protectStatus: false,
      metricsClusterLabels: false,
      logFormat: undefined,
    });
  });

  it('reads every flag', () => {
    expect(
      run([
        '--port=9000',
        '--grpc-port',
        '0',
        '--bind',
        '127.0.0.1',
        '--allowed-hosts',
        'EDS.example.com,*.example.org',
        '--docker-host',
        'tcp://docker.internal:2376',
        '--label-prefix',
        'com.example.eds',
        '--address-mode',
        'host',
        '--host-ip',
        '::1',
        '--network',
        'shop_default',
        '--exposed-by-default',
        'false',
        '--constraint',
        'project=shop',
        '--constraint',
        'label!=tier=internal',
        '--auth-hosts',
        'idp.example.com',
        '--allowed-domains',
        '*.shop.test,api.test',
        '--tcp-port-range',
        '10000-10999',
        '--log-level',
        'debug',
        '--state-file',
        '/var/lib/eds-agent/state.json',
        '--admin-token',
        's3cret',
        '--read-only',
        '--insecure-open-writes',
        '--registration-allow-cidr',
        '127.0.0.0/8',
        '--registration-allow-cidr',
        'fd00::/8,10.1.2.3',
        '--registrations-join-docker',
        '--registration-max-services',
        '5',
        '--registration-max-hosts',
        '6',
        '--registration-max-tags',
        '7',
        '--registration-max-tag-bytes',
        '800',
        '--route-config-name',
        'front.routes',
        '--protect-status',
        '--metrics-cluster-labels',
        '--log-format',
        'pretty',
        '--grpc-max-streams',
        '500',
        '--grpc-max-streams-per-peer',
        '50',
        '--grpc-max-connections-per-peer',
        '7',
        '--grpc-max-streams-per-connection',
        '5',
        '--grpc-max-names',
        '1000',
        '--swarm',
        'on',
        '--swarm-resync',
        '1m',
        '--route-grace',
        '0',
        '--engine-grace',
        '5s',
        '--listen',
        'http=8000,https=127.0.0.1:8443',
        '--tls-issuer',
        'internal',
        '--tls-lifetime',
        '1h',
      ]),
    ).toEqual({
      port: 9000,
      grpcPort: 0,
      grpcLimits: {
        maxStreams: 500,
        maxStreamsPerPeer: 50,
        maxConnectionsPerPeer: 7,
        maxResetsPerPeer: 100,
        maxStreamsPerConnection: 5,
        maxNames: 1000,
        maxNameBytes: 4 * 1024 * 1024,
      },
      bind: '127.0.0.1',
      allowedHosts: ['eds.example.com', '*.example.org'],
      engines: [
        {
          name: 'docker.internal',
          endpoint: { kind: 'tcp', host: 'docker.internal', port: 2376, tls: undefined },
          url: 'tcp://docker.internal:2376',
          hostIp: '::1',
        },
      ],
      engineGraceMs: 5000,
      routeGraceMs: 0,
      address: {
        addressMode: 'host',
        hostIp: '::1',
        network: 'shop_default',
        labelPrefix: 'com.example.eds',
        serving: {
          exposedByDefault: false,
          constraints: [
            { kind: 'project', name: 'shop' },
            { kind: 'label', key: 'tier', value: 'internal', negated: true },
          ],
          allowedDomains: ['*.shop.test', 'api.test'],
          authHosts: ['idp.example.com'],
          tcpPorts: { min: 10000, max: 10999 },
          upstreamCa: false,
        },
      },
      swarm: { mode: 'on', resyncMs: 60_000 },
      logLevel: 'debug',
      stateFile: '/var/lib/eds-agent/state.json',
      frontDoor: {
        http: { address: '0.0.0.0', port: 8000 },
        https: { address: '127.0.0.1', port: 8443 },
      },
      // Beside the state file, by default.
      tls: {
        issuer: 'internal',
        store: '/var/lib/eds-agent/tls',
        lifetimeMs: 3_600_000,
        certDir: undefined,
        acme: undefined,
        upstreamCa: undefined,
      },
      adminToken: 's3cret',
      readOnly: true,
      insecureOpenWrites: true,
      registrations: {
        allow: [
          { text: '127.0.0.0/8', address: '127.0.0.0', prefix: 8, family: 'ipv4' },
          { text: 'fd00::/8', address: 'fd00::', prefix: 8, family: 'ipv6' },
          { text: '10.1.2.3/32', address: '10.1.2.3', prefix: 32, family: 'ipv4' },
        ],
        joinDocker: true,
        maxServices: 5,
        maxHostsPerService: 6,
        maxTagsPerHost: 7,
        maxTagBytes: 800,
      },
      routeConfigName: 'front.routes',
      protectStatus: true,
      metricsClusterLabels: true,
      logFormat: 'pretty',
    });
  });

  it('refuses a log format it does not know, and then --protect-status without an admin token', () => {
    // Each flag's own problems come first, in --help order; then those between flags.
    expect(parseConfig(['--protect-status', '--log-format', 'xml'], {})).toEqual({
      ok: false,
      problems: [
        '--log-format: expected one of json, pretty, got "xml"',
        '--protect-status: protects /status and /metrics with the admin token, so it needs --admin-token (EDS_AGENT_ADMIN_TOKEN)',
      ],
    });
  });

  it('reads EDS_AGENT_* variables, and a flag wins over its variable', () => {
    const config = run(['--port', '7000'], {
      EDS_AGENT_PORT: '9000',
      EDS_AGENT_ADDRESS_MODE: 'host',
      EDS_AGENT_DOCKER_HOST: 'tcp://10.1.2.3',
    });
    expect(config.port).toBe(7000);
    expect(config.address.addressMode).toBe('host');
    expect(engine(config)).toEqual({
      kind: 'tcp',
      host: '10.1.2.3',
      port: 2375,
      tls: undefined,
    });
  });

  it('reads the registration settings from the environment, and refuses a read-only that is not a boolean', () => {
    expect(
      run([], {
        EDS_AGENT_READ_ONLY: 'true',
        EDS_AGENT_ADMIN_TOKEN: 't',
        EDS_AGENT_STATE_FILE: 's.json',
      }),
    ).toMatchObject({
      readOnly: true,
      adminToken: 't',
      stateFile: 's.json',
    });
    expect(parseConfig([], { EDS_AGENT_READ_ONLY: 'yes' })).toEqual({
      ok: false,
      problems: ['EDS_AGENT_READ_ONLY: expected true or false, got "yes"'],
    });
  });

  it('reads the admin token from a file, checks it as the flag, and refuses both at once', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eds-agent-token-'));
    const file = join(dir, 'token');
    writeFileSync(file, 'c2VjcmV0LXRva2Vu\n');
    expect(run(['--admin-token-file', file]).adminToken).toBe('c2VjcmV0LXRva2Vu');
    expect(run([], { EDS_AGENT_ADMIN_TOKEN_FILE: file }).adminToken).toBe('c2VjcmV0LXRva2Vu');
    expect(parseConfig(['--admin-token-file', file, '--admin-token', 'x'], {})).toMatchObject({
      ok: false,
      problems: [expect.stringContaining('not both')],
    });
    writeFileSync(file, '\n');
    expect(parseConfig(['--admin-token-file', file], {})).toMatchObject({
      ok: false,
      problems: [expect.stringContaining('is empty')],
    });
    // A token that `Authorization: Bearer` cannot carry would lock everyone out.
    writeFileSync(file, 'two words');
    expect(parseConfig(['--admin-token-file', file], {})).toMatchObject({
      ok: false,
      problems: [expect.stringContaining('only letters, digits')],
    });
    expect(parseConfig(['--admin-token', 'two words'], {})).toMatchObject({
      ok: false,
      problems: [expect.stringContaining('--admin-token: an admin token may hold only')],
    });
    expect(parseConfig(['--admin-token-file', join(dir, 'missing')], {})).toMatchObject({
      ok: false,
      problems: [expect.stringContaining('cannot read')],
    });
    rmSync(dir, { recursive: true });
  });

  it.each([
    ['grpc', 'grpcTls'],
    ['http', 'httpTls'],
  ] as const)(
    "reads the %s server's TLS files as a pair, with a client CA only beside them",
    (server, key) => {
      const cert = `--${server}-tls-cert`;
      const tlsKey = `--${server}-tls-key`;
      const ca = `--${server}-client-ca`;
      expect(run([cert, 'c.pem', tlsKey, 'k.pem'])[key]).toEqual({
        cert: 'c.pem',
        key: 'k.pem',
        clientCa: undefined,
      });
      expect(run([cert, 'c.pem', tlsKey, 'k.pem', ca, 'ca.pem'])[key]).toEqual({
        cert: 'c.pem',
        key: 'k.pem',
        clientCa: 'ca.pem',
      });
      expect(run([])[key]).toBeUndefined();
      expect(parseConfig([cert, 'c.pem'], {})).toMatchObject({
        ok: false,
        problems: [`${cert}, ${tlsKey}: give both, the certificate and its key`],
      });
      expect(parseConfig([ca, 'ca.pem'], {})).toMatchObject({
        ok: false,
        problems: [`${ca}: mutual TLS needs the server's own ${cert} and ${tlsKey}`],
      });
    },
  );

  it('refuses a port range that is not one', () => {
    for (const bad of ['0-10', '10-5', '1-65536', '80', 'a-b'])
      expect(parseConfig(['--tcp-port-range', bad], {})).toEqual({
        ok: false,
        problems: [
          `--tcp-port-range: expected a port range such as 10000-10999, got ${JSON.stringify(bad)}`,
        ],
      });
  });

  it('refuses an address range that is not one', () => {
    expect(parseConfig(['--registration-allow-cidr', '10.0.0.0/33,web'], {})).toEqual({
      ok: false,
      problems: [
        '--registration-allow-cidr: expected an address range such as 127.0.0.0/8 or fd00::/8, got "10.0.0.0/33"',
        '--registration-allow-cidr: expected an address range such as 127.0.0.0/8 or fd00::/8, got "web"',
      ],
    });
  });

  it('falls back to DOCKER_HOST for the engine', () => {
    expect(engine(run([], { DOCKER_HOST: 'unix:///run/user/1000/docker.sock' }))).toEqual({
      kind: 'unix',
      path: '/run/user/1000/docker.sock',
    });
  });

  it('lists every problem at once, naming where each value came from', () => {
    const result = parseConfig(
      ['--port', '70000', '--address-mode', 'bridge', '--docker-host', 'http://x'],
      { EDS_AGENT_BIND: 'localhost', EDS_AGENT_LOG_LEVEL: 'loud', EDS_AGENT_LABEL_PREFIX: 'Eds.' },
    );
    expect(result).toEqual({
      ok: false,
      problems: [
        '--port: expected a port 0-65535, got "70000"',
        'EDS_AGENT_BIND: expected an IP address such as 127.0.0.1 or ::1, got "localhost"',
        '--docker-host: expected unix:///path/to/docker.sock, tcp://host:port or ssh://user@host, got "http://x"',
        'EDS_AGENT_LABEL_PREFIX: expected lowercase dot-separated words such as eds or com.example.eds, got "Eds."',
        '--address-mode: expected container or host, got "bridge"',
        'EDS_AGENT_LOG_LEVEL: expected one of trace, debug, info, warn, error, fatal, silent, got "loud"',
      ],
    });
  });

  it('rejects unknown flags and positional arguments', () => {
    expect(parseConfig(['--prot', '1'], {}).ok).toBe(false);
    expect(parseConfig(['serve'], {}).ok).toBe(false);
  });

  it('asks for help with --help or -h', () => {
    expect(parseConfig(['--help'], {})).toEqual({ ok: true, value: { kind: 'help' } });
    expect(parseConfig(['-h', '--port', 'bad'], {})).toEqual({ ok: true, value: { kind: 'help' } });
  });

  it('documents every flag and its variable in --help', () => {
    const help = formatHelp();
    for (const name of Object.keys(FLAGS) as FlagName[]) {
      expect(help).toContain(`--${name}`);
      expect(help).toContain(toEnvName(name));
    }
  });

  it('prints the version with --version', () => {
    expect(parseConfig(['--version'], {})).toEqual({ ok: true, value: { kind: 'version' } });
  });

  it('gives a negative number to its own check instead of a message about ambiguity', () => {
    expect(parseConfig(['--port', '-1'], {})).toEqual({
      ok: false,
      problems: ['--port: expected a port 0-65535, got "-1"'],
    });
    // A flag after a flag that needs a value is still the missing value it looks like.
    expect(parseConfig(['--port', '--read-only'], {}).ok).toBe(false);
  });

  it.each(['0', '-1', '1.5', 'many', '1000001'])('refuses %s streams or names', (value) => {
    expect(parseConfig(['--grpc-max-names', value], {})).toEqual({
      ok: false,
      problems: [`--grpc-max-names: expected a whole number from 1 to 1000000, got "${value}"`],
    });
  });

  it('turns the gRPC server off with --grpc-port off, and checks any other value as a port', () => {
    expect(run(['--grpc-port', 'off']).grpcPort).toBeUndefined();
    expect(run([], { EDS_AGENT_GRPC_PORT: '18001' }).grpcPort).toBe(18001);
    expect(parseConfig(['--grpc-port', 'none'], {})).toEqual({
      ok: false,
      problems: ['--grpc-port: expected a port 0-65535, got "none"'],
    });
  });

  it('follows the Swarm when asked, at the resync period asked, and refuses what it cannot read', () => {
    expect(run([], { EDS_AGENT_SWARM: 'off', EDS_AGENT_SWARM_RESYNC: '250ms' }).swarm).toEqual({
      mode: 'off',
      resyncMs: 250,
    });
    expect(parseConfig(['--swarm', 'yes', '--swarm-resync', '10ms'], {})).toEqual({
      ok: false,
      problems: [
        '--swarm: expected auto, on or off, got "yes"',
        '--swarm-resync: expected a duration from 100ms to 1h (e.g. 250ms, 2s, 1.5s, 5m), got "10ms"',
      ],
    });
  });

  it('takes durations as labels do: 1.5s and 1h as well as 250ms and 5m', () => {
    expect(run([], { EDS_AGENT_SWARM_RESYNC: '1.5s' }).swarm.resyncMs).toBe(1500);
    expect(run(['--swarm-resync', '1h']).swarm.resyncMs).toBe(3_600_000);
    expect(parseConfig(['--swarm-resync', '1.5ms'], {}).ok).toBe(false);
  });

  it('refuses an empty admin token, which would leave the registration API open', () => {
    const refused = (argv: string[], env: Record<string, string>) =>
      parseConfig(argv, env).ok ? [] : (parseConfig(argv, env) as { problems: string[] }).problems;
    expect(refused(['--admin-token', ''], {})).toEqual([
      '--admin-token: an admin token must not be empty; leave it unset to run without one (and see --read-only)',
    ]);
    expect(refused(['--admin-token', '   '], {})).toHaveLength(1);
    expect(refused([], { EDS_AGENT_ADMIN_TOKEN: '' })).toEqual([
      'EDS_AGENT_ADMIN_TOKEN: an admin token must not be empty; leave it unset to run without one (and see --read-only)',
    ]);
    expect(run([]).adminToken).toBeUndefined();
  });

  it('names DOCKER_HOST when a bad engine address came from it', () => {
    expect(parseConfig([], { DOCKER_HOST: 'tcp:/oops' })).toEqual({
      ok: false,
      problems: [
        'DOCKER_HOST: expected unix:///path/to/docker.sock, tcp://host:port or ssh://user@host, got "tcp:/oops"',
      ],
    });
  });

  it('warns of an EDS_AGENT_ variable that is no setting, naming the one it was probably meant to be', () => {
    const result = parseConfig([], {
      EDS_AGENT_PROT: '9000',
      EDS_AGENT_COLOUR: 'blue',
      EDS_AGENT_TEST_ENVOY: '/usr/bin/envoy',
    });
    expect(result.ok && result.value.kind === 'run' && result.value.warnings).toEqual([
      'EDS_AGENT_COLOUR is not a setting of eds-agent and is ignored',
      'EDS_AGENT_PROT is not a setting of eds-agent and is ignored; did you mean EDS_AGENT_PORT?',
    ]);
  });

  it('speaks TLS to a tcp:// engine as the Docker CLI does: its variables, its flags, port 2376', () => {
    const env = { HOME: '/home/me', DOCKER_HOST: 'tcp://engine.internal', DOCKER_TLS_VERIFY: '1' };
    expect(engine(run([], env))).toEqual({
      kind: 'tcp',
      host: 'engine.internal',
      port: 2376,
      tls: {
        verify: true,
        ca: { path: '/home/me/.docker/ca.pem', explicit: false },
        cert: { path: '/home/me/.docker/cert.pem', explicit: false },
        key: { path: '/home/me/.docker/key.pem', explicit: false },
      },
    });
    expect(
      engine(
        run(['--tls', '--tlscacert', '/etc/ca.pem'], {
          DOCKER_HOST: 'tcp://10.0.0.1:2376',
          DOCKER_CERT_PATH: '/certs',
        }),
      ),
    ).toMatchObject({
      tls: {
        verify: false,
        ca: { path: '/etc/ca.pem', explicit: true },
        cert: { path: '/certs/cert.pem', explicit: false },
      },
    });
    expect(parseConfig(['--tlsverify'], {})).toEqual({
      ok: false,
      problems: [
        '--docker-host (default): --tls and --tlsverify apply to tcp:// engines, not unix://',
      ],
    });
  });

  it('reaches an engine over ssh, as user@host, with the known_hosts file that must list it', () => {
    expect(
      engine(
        run(['--docker-host', 'ssh://deploy@build-box:2222'], {
          HOME: '/home/me',
          SSH_AUTH_SOCK: '/tmp/agent.sock',
        }),
      ),
    ).toEqual({
      kind: 'ssh',
      host: 'build-box',
      port: 2222,
      username: 'deploy',
      ssh: {
        agentSocket: '/tmp/agent.sock',
        identityFile: undefined,
        knownHostsFile: '/home/me/.ssh/known_hosts',
        home: '/home/me',
      },
    });
    expect(engine(run(['--docker-host', 'ssh://box'], { USER: 'me' }))).toMatchObject({
      username: 'me',
      port: 22,
    });
  });

  describe('several engines', () => {
    it('reads --docker-host repeated, and EDS_AGENT_DOCKER_HOST as a list, naming each engine', () => {
      const names = (config: ReturnType<typeof run>) =>
        config.engines.map((engine) => `${engine.name}=${engine.url}`);
      expect(
        names(
          run([
            '--docker-host',
            'unix:///var/run/docker.sock',
            '--docker-host',
            'edge=tcp://10.0.0.5:2375',
            '--docker-host',
            'ssh://deploy@build-box',
          ]),
        ),
      ).toEqual([
        'docker=unix:///var/run/docker.sock',
        'edge=tcp://10.0.0.5:2375',
        'build-box=ssh://deploy@build-box',
      ]);
      expect(
        names(
          run([], {
            EDS_AGENT_DOCKER_HOST: ' tcp://10.0.0.5:2375 , podman=unix:///run/podman/podman.sock',
          }),
        ),
      ).toEqual(['10.0.0.5=tcp://10.0.0.5:2375', 'podman=unix:///run/podman/podman.sock']);
    });

    it("gives each engine its own TLS, ssh and host IP in its query, the flags' being the defaults", () => {
      const config = run(
        [
          '--docker-host',
          'a=tcp://10.0.0.5?tlsverify&tlscacert=/certs/a/ca.pem&host-ip=10.0.0.5',
          '--docker-host',
          'b=tcp://10.0.0.6:2375?tls=false',
          '--docker-host',
          'c=ssh://deploy@10.0.0.7?ssh-identity=/keys/c&ssh-known-hosts=/keys/known',
          '--docker-host',
          'unix:///var/run/docker.sock',
          '--tls',
          '--host-ip',
          '192.0.2.1',
        ],
        { HOME: '/home/me' },
      );
      expect(config.engines.map((engine) => [engine.name, engine.hostIp])).toEqual([
        ['a', '10.0.0.5'],
        ['b', '192.0.2.1'],
        ['c', '192.0.2.1'],
        ['docker', '192.0.2.1'],
      ]);
      expect(config.engines[0]?.endpoint).toMatchObject({
        port: 2376,
        tls: {
          verify: true,
          ca: { path: '/certs/a/ca.pem', explicit: true },
          cert: { path: '/home/me/.docker/cert.pem', explicit: false },
        },
      });
      // --tls is every tcp:// engine's default, which its own ?tls=false turns off.
      expect(config.engines[1]?.endpoint).toMatchObject({ port: 2375, tls: undefined });
      expect(config.engines[2]?.endpoint).toMatchObject({
        kind: 'ssh',
        ssh: { identityFile: '/keys/c', knownHostsFile: '/keys/known' },
      });
      expect(config.engines[3]?.endpoint).toEqual({ kind: 'unix', path: '/var/run/docker.sock' });
    });

    it('refuses two engines of one name, a bad name, an unknown setting and a bad value, each named', () => {
      expect(
        parseConfig(
          [
            '--docker-host',
            'tcp://10.0.0.5,tcp://10.0.0.5:2376',
            '--docker-host',
            'tcp://[::1]:2375',
          ],
          {},
        ),
      ).toEqual({
        ok: false,
        problems: [
          '--docker-host: two engines are named "10.0.0.5"; name each, as <name>=tcp://10.0.0.5:2376',
          '--docker-host: "::1" cannot name an engine (1-63 of A-Z a-z 0-9 _ . -, starting with a letter or digit); name it, as <name>=tcp://[::1]:2375',
        ],
      });
      expect(
        parseConfig(
          [
            '--docker-host',
            'x=tcp://10.0.0.6?tlsverfy',
            '--docker-host',
            'y=tcp://10.0.0.7?host-ip=here',
            '--docker-host',
            'z=unix:///run/docker.sock?tls',
          ],
          {},
        ),
      ).toEqual({
        ok: false,
        problems: [
          '--docker-host (x?tlsverfy): not a setting of an engine; one of tls, tlsverify, tlscacert, tlscert, tlskey, ssh-identity, ssh-known-hosts, host-ip',
          '--docker-host (y?host-ip): expected an IP address such as 127.0.0.1 or ::1, got "here"',
          '--docker-host: --tls and --tlsverify apply to tcp:// engines, not unix://',
        ],
      });
      expect(parseConfig(['--docker-host', ' , '], {})).toEqual({
        ok: false,
        problems: ['--docker-host: expected at least one engine'],
      });
    });
  });
});

describe('the front door flags and `eds-agent bootstrap`', () => {
  const problems = (argv: string[]) => {
    const parsed = parseConfig(argv, {});
    return parsed.ok ? [] : parsed.problems;
  };

  it('reads --listen as names and [address:]ports, and refuses anything else', () => {
    expect(run(['--listen', 'https=[::1]:8443']).frontDoor).toEqual({
      https: { address: '::1', port: 8443 },
    });
    expect(problems(['--listen', 'http=80,http=81'])).toEqual(['--listen: http is given twice']);
    expect(problems(['--listen', 'ftp=21'])[0]).toMatch(/expected http=<port> or https=<port>/);
    expect(problems(['--listen', 'https=host:443'])[0]).toMatch(/IP address/);
    expect(problems(['--listen', 'http=8080,https=8080'])[0]).toMatch(/cannot share/);
  });

  it('reads the ACME account, by directory name or URL', () => {
    expect(run(['--acme-email', 'ops@example.com']).tls.acme).toEqual({
      directoryUrl: 'https://acme-v02.api.letsencrypt.org/directory',
      email: 'ops@example.com',
      eab: undefined,
      caFile: undefined,
    });
    expect(
      run(['--acme-email', 'a@b.c', '--acme-directory', 'letsencrypt-staging']).tls.acme
        ?.directoryUrl,
    ).toMatch(/staging/);
    expect(problems(['--acme-directory', 'http://ca.test/dir'])[0]).toMatch(/https:\/\//);
  });

  it('describes the agent Envoy reaches, and refuses a bootstrap that could not reach it', () => {
    const parsed = parseConfig(['bootstrap', '--xds-address', 'eds-agent:18000'], {});
    expect(parsed.ok && parsed.value).toEqual({
      kind: 'bootstrap',
      bootstrap: {
        nodeId: 'eds-agent-front-door',
        admin: { address: '127.0.0.1', port: 9901 },
        xds: { host: 'eds-agent', port: 18000 },
      },
    });
    expect(problems(['bootstrap', '--grpc-port', 'off'])[0]).toMatch(/cannot be off/);
    expect(problems(['bootstrap', '--grpc-port', '0'])[0]).toMatch(/--xds-address/);
  });
});
