import { describe, expect, it } from 'vitest';

import { createParseCache } from '../../src/transports/http/create-parse-cache.js';
import { parseDiscoveryRequest } from '../../src/transports/http/parse-discovery-request.js';

const poll = (names: string[], extra: object = {}) =>
  Buffer.from(JSON.stringify({ node: { id: 'front-proxy' }, resource_names: names, ...extra }));

describe('the discovery parse cache', () => {
  it('answers a body it has seen with the same result, without parsing it again', () => {
    const parse = createParseCache();
    const first = parse(poll(['web']), 'v3');
    expect(first).toEqual(parseDiscoveryRequest(poll(['web']), 'v3'));
    expect(parse(poll(['web']), 'v3')).toBe(first); // the same object: no second parse
    expect(parse(poll(['api']), 'v3')).not.toBe(first);
  });

  it('keeps the API in the key, since each API accepts its own type_url', () => {
    const parse = createParseCache();
    const v2Type = poll(['web'], {
      type_url: 'type.googleapis.com/envoy.api.v2.ClusterLoadAssignment',
    });
    expect(parse(v2Type, 'v2').ok).toBe(true);
    expect(parse(v2Type, 'v3').ok).toBe(false);
  });

  it('remembers bad bodies as bad, and parses large ones every time', () => {
    const parse = createParseCache();
    const bad = Buffer.from('{"resource_names": 7}');
    expect(parse(bad, 'v3')).toEqual(parseDiscoveryRequest(bad, 'v3'));
    expect(parse(bad, 'v3').ok).toBe(false);
    const large = poll(['web'], { padding: 'x'.repeat(20_000) });
    expect(parse(large, 'v3')).not.toBe(parse(large, 'v3'));
  });

  it('holds at most `maxBytes` of bodies, forgetting the least recently used', () => {
    const size = poll(['a']).length;
    const parse = createParseCache({ maxBytes: 2 * size });
    const a = parse(poll(['a']), 'v3');
    parse(poll(['b']), 'v3');
    expect(parse(poll(['a']), 'v3')).toBe(a); // a is now the most recent
    parse(poll(['c']), 'v3'); // b goes
    expect(parse.retainedBytes).toBe(2 * size);
    expect(parse(poll(['a']), 'v3')).toBe(a);
    const b = parse(poll(['b']), 'v3');
    expect(parse(poll(['b']), 'v3')).toBe(b);
    expect(parse(poll(['c']), 'v3')).not.toBe(undefined);
  });

  it('stays within its bytes whatever the bodies: many distinct polls of the largest it keeps', () => {
    const parse = createParseCache({ maxBytes: 64 * 1024, maxEntryBytes: 16 * 1024 });
    for (let i = 0; i < 200; i++)
      parse(poll(['web'], { node: { id: `${i}`.padEnd(16_000, 'x') } }), 'v3');
    expect(parse.retainedBytes).toBeGreaterThan(48 * 1024);
    expect(parse.retainedBytes).toBeLessThanOrEqual(64 * 1024);
  });
});
