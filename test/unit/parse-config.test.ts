import { describe, expect, it } from 'vitest';

import { FLAGS, formatHelp, toEnvName } from '../../src/config/config.js';
import { parseConfig } from '../../src/config/parse-config.js';

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
      bind: '0.0.0.0',
      dockerHost: { kind: 'unix', path: '/var/run/docker.sock' },
      dockerHostUrl: 'unix:///var/run/docker.sock',
      address: {
        addressMode: 'container',
        hostIp: '127.0.0.1',
        network: undefined,
        labelPrefix: 'eds',
      },
      logLevel: 'info',
      stateFile: undefined,
      adminToken: undefined,
      readOnly: false,
    });
  });

  it('reads every flag', () => {
    expect(
      run([
        '--port=9000',
        '--bind',
        '127.0.0.1',
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
        '--log-level',
        'debug',
        '--state-file',
        '/var/lib/eds-agent/state.json',
        '--admin-token',
        's3cret',
        '--read-only',
      ]),
    ).toEqual({
      port: 9000,
      bind: '127.0.0.1',
      dockerHost: { kind: 'tcp', host: 'docker.internal', port: 2376 },
      dockerHostUrl: 'tcp://docker.internal:2376',
      address: {
        addressMode: 'host',
        hostIp: '::1',
        network: 'shop_default',
        labelPrefix: 'com.example.eds',
      },
      logLevel: 'debug',
      stateFile: '/var/lib/eds-agent/state.json',
      adminToken: 's3cret',
      readOnly: true,
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
    expect(config.dockerHost).toEqual({ kind: 'tcp', host: '10.1.2.3', port: 2375 });
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

  it('falls back to DOCKER_HOST for the engine', () => {
    expect(run([], { DOCKER_HOST: 'unix:///run/user/1000/docker.sock' }).dockerHost).toEqual({
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
        '--docker-host: expected unix:///path/to/docker.sock or tcp://host:port, got "http://x"',
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
    for (const flag of FLAGS) {
      expect(help).toContain(`--${flag.name}`);
      expect(help).toContain(toEnvName(flag.name));
    }
  });
});
