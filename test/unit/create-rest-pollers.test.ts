import { describe, expect, it } from 'vitest';

import { createRestPollers } from '../../src/transports/http/create-rest-pollers.js';

describe('the REST pollers the status shows', () => {
  const poll = (node: string, clusters = 'web') => ({
    node,
    api: 'v3',
    clusters,
    acceptedVersion: undefined,
    answer: '0123456789abcdef',
  });

  it('keep one entry per node and subscription, the most recent first, counting its polls', () => {
    let now = 0;
    const pollers = createRestPollers({ now: () => (now += 1000) });
    pollers.record(poll('envoy-1'));
    pollers.record(poll('envoy-2'));
    pollers.record(poll('envoy-1'));
    pollers.record(poll('envoy-1', 'api'));
    expect(pollers.list().map((p) => [p.node, p.clusters, p.polls])).toEqual([
      ['envoy-1', 'api', 1],
      ['envoy-1', 'web', 2],
      ['envoy-2', 'web', 1],
    ]);
  });

  it('hold at most `max`, dropping the least recently seen, and forget those gone quiet', () => {
    let now = 0;
    const pollers = createRestPollers({ max: 2, forgetAfterMs: 5000, now: () => now });
    for (const node of ['a', 'b', 'c']) {
      now += 1000;
      pollers.record(poll(node));
    }
    expect(pollers.list().map((p) => p.node)).toEqual(['c', 'b']);
    now += 4500; // b polled 5.5 s ago, c 4.5 s ago
    expect(pollers.list().map((p) => p.node)).toEqual(['c']);
  });

  it('keep of a client at most 1,024 characters of its clusters and 64 of the version it claims', () => {
    const pollers = createRestPollers();
    pollers.record({ ...poll('envoy-1', 'c'.repeat(5000)), acceptedVersion: 'v'.repeat(5000) });
    const [kept] = pollers.list();
    expect(kept?.clusters).toBe('c'.repeat(1024));
    expect(kept?.acceptedVersion).toBe('v'.repeat(64));
  });
});
