import { createHmac } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { isKnownHostKey } from '../../src/sources/engine/match-known-host.js';

const key = Buffer.from('the host key blob');
const other = Buffer.from('another key blob');
const b64 = key.toString('base64');

/** A hashed known_hosts name, as `ssh-keygen -H` writes it. */
function hashed(name: string): string {
  const salt = Buffer.from('0123456789abcdef0123');
  const hash = createHmac('sha1', salt).update(name).digest('base64');
  return `|1|${salt.toString('base64')}|${hash}`;
}

describe('isKnownHostKey', () => {
  it.each([
    ['a plain name', `build-box ssh-ed25519 ${b64}`, 'build-box', 22, true],
    ['one of several names', `a.example,build-box ssh-ed25519 ${b64}`, 'build-box', 22, true],
    [
      'a name on another port, bracketed',
      `[build-box]:2222 ssh-ed25519 ${b64}`,
      'build-box',
      2222,
      true,
    ],
    ['the right name but the wrong port', `build-box ssh-ed25519 ${b64}`, 'build-box', 2222, false],
    ['a wildcard', `*.example ssh-ed25519 ${b64}`, 'ci.example', 22, true],
    ['a negated pattern', `*.example,!ci.example ssh-ed25519 ${b64}`, 'ci.example', 22, false],
    ['a hashed name', `${hashed('[10.0.0.5]:2222')} ssh-ed25519 ${b64}`, '10.0.0.5', 2222, true],
    ['a hashed other name', `${hashed('10.0.0.6')} ssh-ed25519 ${b64}`, '10.0.0.5', 22, false],
    [
      'comments and blank lines',
      `# a comment\n\nbuild-box ssh-ed25519 ${b64}\n`,
      'build-box',
      22,
      true,
    ],
    [
      'a CA line, which is not supported',
      `@cert-authority build-box ssh-ed25519 ${b64}`,
      'build-box',
      22,
      false,
    ],
  ])('%s', (_what, knownHosts, host, port, expected) => {
    expect(isKnownHostKey(knownHosts, host, port, key)).toBe(expected);
  });

  it('refuses a key listed for the host but not the one it shows', () => {
    expect(isKnownHostKey(`build-box ssh-ed25519 ${b64}`, 'build-box', 22, other)).toBe(false);
  });

  it('refuses a revoked key even when another line lists it', () => {
    const text = `build-box ssh-ed25519 ${b64}\n@revoked build-box ssh-ed25519 ${b64}`;
    expect(isKnownHostKey(text, 'build-box', 22, key)).toBe(false);
  });
});
