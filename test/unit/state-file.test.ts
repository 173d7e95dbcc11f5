import { describe, expect, it } from 'vitest';

import type { RegistrationChange } from '../../src/core/registrations/apply-registration.js';
import {
  NO_REGISTRATIONS,
  type RegisteredHost,
  type Registrations,
  toRegistrations,
} from '../../src/core/registrations/registered-host.js';
import {
  parseStateFile,
  toChangeLine,
  toSnapshotLine,
} from '../../src/sources/registrations/state-file.js';

const NOW = 1_700_000_000_000;
const host = (ip: string, overrides: Partial<RegisteredHost> = {}): RegisteredHost => ({
  ipAddress: ip,
  port: 80,
  tags: {},
  ttlSeconds: undefined,
  expiresAt: undefined,
  ...overrides,
});

/** The file a run would leave: a snapshot of `start`, then one line per change. */
const fileOf = (start: Registrations, changes: RegistrationChange[]) =>
  toSnapshotLine(start) + changes.map(toChangeLine).join('');

/** What a state file parses to, its registrations as a plain Map of arrays, easy to compare. */
const parsed = (text: string) => {
  const result = parseStateFile(text, 'state.json', NOW);
  if (!result.ok) throw new Error(result.problems.join('\n'));
  return { ...result.value, registrations: plain(result.value.registrations) };
};
const plain = (state: Registrations) =>
  new Map([...state].map(([service, hosts]) => [service, [...hosts.values()]]));

describe('the state file: a snapshot line, then one line per change', () => {
  it('replays every kind of change in order onto the snapshot', () => {
    const text = fileOf(toRegistrations([['web', [host('10.0.0.1')]]]), [
      { kind: 'put-host', service: 'web', host: host('10.0.0.2', { tags: { az: 'a' } }) },
      { kind: 'create', service: 'api', hosts: [host('10.0.1.1'), host('10.0.1.2')] },
      { kind: 'delete-host', service: 'web', ipAddress: '10.0.0.1', port: 80 },
      { kind: 'replace', service: 'api', hosts: [host('10.0.1.3')] },
      { kind: 'create', service: 'gone', hosts: [] },
      { kind: 'delete', service: 'gone' },
    ]);
    expect(parsed(text)).toEqual({
      registrations: new Map([
        ['web', [host('10.0.0.2', { tags: { az: 'a' } })]],
        ['api', [host('10.0.1.3')]],
      ]),
      droppedUnfinishedLine: false,
    });
  });

  it('keeps any valid name, __proto__ and constructor included, as services and as tags', () => {
    const tags = Object.fromEntries([
      ['__proto__', 'kept'],
      ['constructor', 1],
    ]) as RegisteredHost['tags'];
    const text = fileOf(toRegistrations([['__proto__', [host('10.0.0.1', { tags })]]]), [
      { kind: 'put-host', service: 'constructor', host: host('10.0.0.2', { tags }) },
    ]);
    const { registrations } = parsed(text);
    expect([...registrations.keys()]).toEqual(['__proto__', 'constructor']);
    const kept = registrations.get('constructor')?.[0]?.tags ?? {};
    expect(Object.entries(kept)).toEqual([
      ['__proto__', 'kept'],
      ['constructor', 1],
    ]);
  });

  it('keeps TTL deadlines, and drops hosts whose deadline passed while stopped', () => {
    const text = fileOf(NO_REGISTRATIONS, [
      {
        kind: 'put-host',
        service: 'web',
        host: host('10.0.0.1', { ttlSeconds: 30, expiresAt: NOW + 5_000 }),
      },
      {
        kind: 'put-host',
        service: 'web',
        host: host('10.0.0.2', { ttlSeconds: 30, expiresAt: NOW - 1 }),
      },
    ]);
    expect(parsed(text).registrations.get('web')).toEqual([
      host('10.0.0.1', { ttlSeconds: 30, expiresAt: NOW + 5_000 }),
    ]);
  });

  it('leaves out an unfinished last line: a crash mid-write, never acknowledged', () => {
    const whole = fileOf(NO_REGISTRATIONS, [
      { kind: 'put-host', service: 'web', host: host('10.0.0.1') },
      { kind: 'put-host', service: 'web', host: host('10.0.0.2') },
    ]);
    const cut = whole.slice(0, whole.length - 10);
    expect(parsed(cut)).toEqual({
      registrations: new Map([['web', [host('10.0.0.1')]]]),
      droppedUnfinishedLine: true,
    });
  });

  it('refuses, naming the line, a broken line or a change that cannot be replayed', () => {
    const snapshot = toSnapshotLine(NO_REGISTRATIONS);
    const problems = (text: string) => {
      const result = parseStateFile(text, 'state.json', NOW);
      return result.ok ? [] : result.problems;
    };
    expect(problems(`${snapshot}{"op":\n{}\n`)).toEqual([
      expect.stringMatching(/^state\.json: line 2: not valid JSON/),
      expect.stringMatching(/^state\.json: line 3\.service: expected a cluster name/),
      'state.json: line 3.op: expected create, replace, delete, put-host or delete-host',
    ]);
    expect(problems(`${snapshot}{"op":"delete","service":"web"}\n`)).toEqual([
      'state.json: line 2: cannot be replayed (no-such-service)',
    ]);
    expect(
      problems(
        `${snapshot}{"op":"put-host","service":"web","host":{"ip_address":"x","port":80}}\n`,
      ),
    ).toEqual([expect.stringMatching(/^state\.json: line 2\.host\.ip_address: expected an IP/)]);
    expect(problems('{"version": 2, "services": [')).toEqual([
      expect.stringMatching(/^state\.json: the state file is not valid JSON/),
    ]);
    expect(problems('{"services": []}\n')).toEqual([
      expect.stringMatching(/^state\.json: not an eds-agent state file/),
    ]);
  });

  it("names a newer agent's file as such, rather than misreading it", () => {
    const result = parseStateFile('{"version":3,"services":[],"more":{}}\n', 'state.json', NOW);
    expect(result.ok ? [] : result.problems).toEqual([
      'state.json: written by a newer eds-agent (state file version 3); this one reads versions 1 and 2: run the newer agent, or start from a copy of the file made before the upgrade',
    ]);
  });

  it('still reads version 1, the whole state as one object', () => {
    const v1 = JSON.stringify(
      {
        version: 1,
        services: {
          web: { hosts: [{ ip_address: '10.0.0.1', port: 80, tags: {}, expires_at: NOW + 1 }] },
        },
      },
      null,
      2,
    );
    expect(parsed(v1).registrations).toEqual(
      new Map([['web', [host('10.0.0.1', { expiresAt: NOW + 1 })]]]),
    );
  });
});
