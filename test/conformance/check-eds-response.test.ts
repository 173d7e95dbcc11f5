import { describe, expect, it } from 'vitest';

import { checkEdsResponse } from './support/check-eds-response.js';
import { uncheckedRules } from './support/check-proto-json.js';

const V3 = 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment';
const lb = (address: string, extra: object = {}) => ({
  endpoint: { address: { socket_address: { address, port_value: 8080 } } },
  ...extra,
});
const response = (assignment: object, extra: object = {}) =>
  JSON.stringify({
    version_info: 'v1',
    resources: [{ '@type': V3, ...assignment }],
    type_url: V3,
    ...extra,
  });

// The checker must reject what Envoy rejects, or its approval of our answers means nothing.
describe('the Envoy acceptance check itself', () => {
  it('accepts a well-formed answer', () => {
    expect(
      checkEdsResponse(
        response({ cluster_name: 'web', endpoints: [{ lb_endpoints: [lb('10.0.0.1')] }] }),
        'web',
      ),
    ).toEqual([]);
  });

  it.each([
    [
      'an unknown field',
      { cluster_name: 'web', endpoints: [{ lb_endpoints: [lb('10.0.0.1', { weight: 3 })] }] },
      /unknown field of envoy.config.endpoint.v3.LbEndpoint/,
    ],
    [
      'a zero weight (validate.rules uint32.gte 1)',
      {
        cluster_name: 'web',
        endpoints: [{ lb_endpoints: [lb('10.0.0.1', { load_balancing_weight: 0 })] }],
      },
      /must be ≥ 1/,
    ],
    [
      'priority 129 (validate.rules uint32.lte 128)',
      { cluster_name: 'web', endpoints: [{ priority: 129, lb_endpoints: [] }] },
      /must be ≤ 128/,
    ],
    ['an empty cluster_name', { cluster_name: '', endpoints: [] }, /cluster_name: shorter than 1/],
    [
      'port 70000',
      {
        cluster_name: 'web',
        endpoints: [
          {
            lb_endpoints: [
              {
                endpoint: {
                  address: { socket_address: { address: '10.0.0.1', port_value: 70000 } },
                },
              },
            ],
          },
        ],
      },
      /must be ≤ 65535/,
    ],
    [
      'a hostname address',
      { cluster_name: 'web', endpoints: [{ lb_endpoints: [lb('web-1')] }] },
      /EDS needs an IP literal/,
    ],
    [
      'a duplicate address',
      { cluster_name: 'web', endpoints: [{ lb_endpoints: [lb('10.0.0.1'), lb('10.0.0.1')] }] },
      /duplicate address/,
    ],
    [
      'an unknown health status',
      {
        cluster_name: 'web',
        endpoints: [{ lb_endpoints: [lb('10.0.0.1', { health_status: 'GREAT' })] }],
      },
      /not a value of HealthStatus/,
    ],
    ['another cluster', { cluster_name: 'api', endpoints: [] }, /cluster_name: expected "web"/],
  ])('rejects %s', (_case, assignment, problem) => {
    expect(checkEdsResponse(response(assignment), 'web').join('\n')).toMatch(problem);
  });

  it('rejects two resources, and none', () => {
    const two = JSON.stringify({
      version_info: 'v',
      type_url: V3,
      resources: [
        { '@type': V3, cluster_name: 'web' },
        { '@type': V3, cluster_name: 'web' },
      ],
    });
    expect(checkEdsResponse(two, 'web').join()).toMatch(/Unexpected EDS resource length: 2/);
    expect(
      checkEdsResponse(
        JSON.stringify({ version_info: 'v', type_url: V3, resources: [] }),
        'web',
      ).join(),
    ).toMatch(/length: 0/);
  });

  it('rejects the v2 type on the v3 path and the reverse', () => {
    const v3Body = response({ cluster_name: 'web', endpoints: [] });
    expect(checkEdsResponse(v3Body, 'web', 'v2').join()).toMatch(
      /expected type.googleapis.com\/envoy.api.v2.ClusterLoadAssignment/,
    );
  });

  it('applies every validation rule found on the fields of a ClusterLoadAssignment', () => {
    uncheckedRules.clear();
    checkEdsResponse(
      response({
        cluster_name: 'web',
        endpoints: [
          {
            priority: 1,
            load_balancing_weight: 2,
            locality: { zone: 'z' },
            lb_endpoints: [
              lb('10.0.0.1', {
                load_balancing_weight: 1,
                health_status: 'DRAINING',
                metadata: { filter_metadata: { 'envoy.lb': { canary: true } } },
              }),
            ],
          },
        ],
      }),
      'web',
    );
    expect([...uncheckedRules]).toEqual([]);
  });
});
