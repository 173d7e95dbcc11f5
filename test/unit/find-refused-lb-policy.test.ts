import { describe, expect, it } from 'vitest';

import {
  findRefusedLbPolicy,
  knowsLbPoliciesOf,
} from '../../src/transports/grpc/find-refused-lb-policy.js';

describe('findRefusedLbPolicy', () => {
  it('knows grpc-js and grpc-go by their user agent, and nothing else', () => {
    expect(knowsLbPoliciesOf('gRPC Go')).toBe(true);
    expect(knowsLbPoliciesOf('gRPC Node Pure JS')).toBe(true);
    expect(knowsLbPoliciesOf('envoy')).toBe(false);
    expect(knowsLbPoliciesOf(undefined)).toBe(false);
  });

  it('takes a user agent a client chose as data, even one named like an object property', () => {
    for (const userAgent of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      expect(knowsLbPoliciesOf(userAgent)).toBe(false);
      expect(findRefusedLbPolicy(userAgent, 'RANDOM')).toBeUndefined();
    }
  });
});
