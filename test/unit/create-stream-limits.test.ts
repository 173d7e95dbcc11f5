import { describe, expect, it } from 'vitest';

import {
  createStreamLimits,
  toPeerAddress,
} from '../../src/transports/grpc/create-stream-limits.js';

describe('the stream limits', () => {
  const limits = () => createStreamLimits({ max: 5, perPeer: 3 });
  const admit = (streams: ReturnType<typeof limits>, peer: string) => {
    const admitted = streams.admit(peer);
    return admitted.ok ? 'admitted' : admitted.problems.join();
  };

  it('refuse an address its fourth stream, over any connections, saying which limit', () => {
    const streams = limits();
    expect(admit(streams, 'ipv4:10.0.0.5:1000')).toBe('admitted');
    expect(admit(streams, 'ipv4:10.0.0.5:1000')).toBe('admitted');
    expect(admit(streams, 'ipv4:10.0.0.5:1001')).toBe('admitted');
    expect(admit(streams, 'ipv4:10.0.0.5:1002')).toBe(
      'eds-agent serves at most 3 streams per client address (10.0.0.5)',
    );
  });

  it('leave room for a new client while one holds its whole share', () => {
    const streams = limits();
    for (const port of [1, 1, 2]) admit(streams, `ipv4:10.0.0.5:${port}`);
    expect(admit(streams, 'ipv4:10.0.0.6:1')).toBe('admitted');
    expect(admit(streams, 'ipv6:[fd00::7]:1')).toBe('admitted');
    expect(admit(streams, 'ipv4:10.0.0.8:1')).toBe('eds-agent serves at most 5 streams at once');
  });

  it('give a stream back once, however often it is released', () => {
    const streams = limits();
    const first = streams.admit('ipv4:10.0.0.5:1');
    streams.admit('ipv4:10.0.0.5:1');
    streams.admit('ipv4:10.0.0.5:1');
    if (!first.ok) throw new Error('not admitted');
    first.value();
    first.value();
    expect(streams.open).toBe(2);
    expect(admit(streams, 'ipv4:10.0.0.5:1')).toBe('admitted');
    expect(admit(streams, 'ipv4:10.0.0.5:1')).toBe(
      'eds-agent serves at most 3 streams per client address (10.0.0.5)',
    );
  });

  it.each([
    ['10.0.0.5:41234', '10.0.0.5'],
    ['::1:5000', '::1'],
    ['::ffff:127.0.0.1:5000', '127.0.0.1'],
    ['ipv4:10.0.0.5:41234', '10.0.0.5'],
    ['ipv6:[::1]:5000', '::1'],
    ['ipv6:[fd00::7]:80', 'fd00::7'],
    ['ipv6:[::ffff:10.0.0.5]:41234', '10.0.0.5'],
    ['unix:/run/agent.sock', 'unix:/run/agent.sock'],
  ])('take the address of %s to be %s', (peer, address) => {
    expect(toPeerAddress(peer)).toBe(address);
  });
});
