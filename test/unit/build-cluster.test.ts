import { describe, expect, it } from 'vitest';

import { buildCluster, resolveClusterOptions } from '../../src/core/build-cluster.js';
import { anEndpoint } from '../support/records.js';

describe('buildCluster', () => {
  it('defaults to round robin and a 1 s connect timeout, and takes what the labels chose', () => {
    expect(buildCluster('web')).toMatchObject({ lb_policy: 'ROUND_ROBIN', connect_timeout: '1s' });
    expect(buildCluster('web', { lbPolicy: 'MAGLEV', connectTimeout: '0.250s' })).toMatchObject({
      lb_policy: 'MAGLEV',
      connect_timeout: '0.250s',
    });
  });
});

describe('resolveClusterOptions', () => {
  const labelled = (address: string, lbPolicy?: 'RANDOM' | 'MAGLEV', connectTimeout?: string) =>
    anEndpoint({ address, clusterOptions: { lbPolicy, connectTimeout } });

  it('takes the value most containers set, then the first in sort order, and says so', () => {
    const endpoints = [
      labelled('10.0.0.1', 'RANDOM'),
      labelled('10.0.0.2', 'MAGLEV', '2.000s'),
      labelled('10.0.0.3', 'MAGLEV'),
      anEndpoint({ address: '10.0.0.4' }),
    ];
    const resolved = resolveClusterOptions(endpoints);
    expect(resolved.options).toEqual({ lbPolicy: 'MAGLEV', connectTimeout: '2.000s' });
    expect(resolved.conflicts).toEqual([
      'lb_policy: the containers disagree (MAGLEV on 2, RANDOM on 1); using MAGLEV',
    ]);
    // The same whatever the order.
    expect(resolveClusterOptions([...endpoints].reverse())).toEqual(resolved);
    const tie = resolveClusterOptions([
      labelled('10.0.0.1', 'RANDOM'),
      labelled('10.0.0.2', 'MAGLEV'),
    ]);
    expect(tie.options.lbPolicy).toBe('MAGLEV');
  });

  it('leaves the defaults when no container sets an option', () => {
    expect(resolveClusterOptions([anEndpoint()])).toEqual({
      options: { lbPolicy: undefined, connectTimeout: undefined },
      conflicts: [],
    });
  });
});
