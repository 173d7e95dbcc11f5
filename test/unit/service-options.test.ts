import { describe, expect, it } from 'vitest';

import { Duration } from '../../src/core/duration.js';
import { buildCluster } from '../../src/core/envoy/build-cluster.js';
import { resolveServiceOptions } from '../../src/core/index/resolve-service-options.js';
import {
  DEFAULT_SERVICE_OPTIONS as NONE,
  type ServiceOptions,
} from '../../src/core/labels/service-options.js';
import { anEndpoint } from '../support/records.js';

describe('buildCluster', () => {
  it('defaults to round robin and a 1 s connect timeout, and takes what the labels chose', () => {
    const json = (cluster: unknown) => JSON.parse(JSON.stringify(cluster)) as unknown;
    expect(json(buildCluster('web'))).toMatchObject({
      lb_policy: 'ROUND_ROBIN',
      connect_timeout: '1s',
    });
    expect(
      json(
        buildCluster('web', { ...NONE, lb_policy: 'MAGLEV', connect_timeout: Duration.ofMs(250) }),
      ),
    ).toMatchObject({ lb_policy: 'MAGLEV', connect_timeout: '0.250s' });
  });
});

describe('resolveServiceOptions', () => {
  const labelled = (name: string, options: Partial<ServiceOptions>) =>
    anEndpoint({
      address: `10.0.0.${name.slice(-1)}`,
      hostname: name,
      containerId: `${name}-id`,
      serviceOptions: { ...NONE, ...options },
    });

  it('takes the value most containers set, then the first in sort order, and names each container that lost', () => {
    const endpoints = [
      labelled('web-1', { lb_policy: 'RANDOM', domains: ['a.test'] }),
      labelled('web-2', {
        lb_policy: 'MAGLEV',
        connect_timeout: Duration.ofMs(2000),
        domains: ['b.test'],
      }),
      labelled('web-3', { lb_policy: 'MAGLEV', domains: ['b.test'] }),
      anEndpoint({ address: '10.0.0.4' }),
    ];
    const resolved = resolveServiceOptions(endpoints);
    expect(resolved.options).toEqual({
      lb_policy: 'MAGLEV',
      connect_timeout: Duration.ofMs(2000),
      domains: ['b.test'],
      path_prefix: undefined,
    });
    expect(resolved.conflicts).toEqual([
      {
        container: 'web-1',
        containerId: 'web-1-id',
        message:
          'lb_policy "RANDOM" is not used: the containers of this service disagree ("MAGLEV" on 2, "RANDOM" on 1); using "MAGLEV"',
      },
      {
        container: 'web-1',
        containerId: 'web-1-id',
        message:
          'domains "a.test" is not used: the containers of this service disagree ("b.test" on 2, "a.test" on 1); using "b.test"',
      },
    ]);
    // The same whatever the order.
    expect(resolveServiceOptions([...endpoints].reverse())).toEqual(resolved);
  });

  it('breaks a tie by sort order', () => {
    const tie = resolveServiceOptions([
      labelled('web-1', { path_prefix: '/b' }),
      labelled('web-2', { path_prefix: '/a' }),
    ]);
    expect(tie.options.path_prefix).toBe('/a');
    expect(tie.conflicts.map((conflict) => conflict.container)).toEqual(['web-1']);
  });

  it('leaves the defaults when no container sets an option', () => {
    expect(resolveServiceOptions([anEndpoint()])).toEqual({ options: NONE, conflicts: [] });
  });
});
