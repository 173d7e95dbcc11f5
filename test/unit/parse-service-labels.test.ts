import { describe, expect, it } from 'vitest';

import { parseServiceLabels } from '../../src/core/labels/parse-service-labels.js';
import { DEFAULT_SERVICE_OPTIONS as NONE } from '../../src/core/labels/service-options.js';
import { served } from '../support/served-json.js';

const locality = { region: '', zone: '', subZone: '' };

describe('parseServiceLabels', () => {
  it.each([
    ['no labels of ours', { 'com.docker.compose.service': 'web' }],
    ['a port but no service', { 'eds.port': '8080' }],
    ['enable=false, even with a service', { 'eds.service': 'web', 'eds.enable': 'false' }],
    [
      'enable=false, even with broken labels',
      { 'eds.service': 'web', 'eds.port': 'x', 'eds.enable': 'FALSE' },
    ],
  ])('ignores a container with %s', (_case, labels) => {
    expect(parseServiceLabels(labels, 'eds')).toEqual({ ok: true, value: [] });
  });

  it('reads every single-service label', () => {
    const result = parseServiceLabels(
      {
        'eds.service': 'web',
        'eds.port': '8080',
        'eds.weight': '50',
        'eds.priority': '1',
        'eds.region': 'eu',
        'eds.zone': 'eu-1a',
        'eds.subzone': 'rack-3',
        'eds.canary': 'true',
        'eds.network': 'shop_default',
        'eds.enable': 'true',
      },
      'eds',
    );
    expect(result).toEqual({
      ok: true,
      value: [
        {
          cluster: 'web',
          port: 8080,
          weight: 50,
          priority: 1,
          locality: { region: 'eu', zone: 'eu-1a', subZone: 'rack-3' },
          canary: true,
          network: 'shop_default',
          dropped: [],
          portLabel: 'eds.port',
          networkLabel: 'eds.network',
        },
      ],
    });
  });

  it('leaves unset values for later resolution, with priority 0', () => {
    expect(parseServiceLabels({ 'eds.service': 'web' }, 'eds')).toEqual({
      ok: true,
      value: [
        {
          cluster: 'web',
          port: undefined,
          weight: undefined,
          priority: 0,
          locality,
          canary: undefined,
          network: undefined,
          dropped: [],
          portLabel: 'eds.port',
          networkLabel: 'eds.network',
        },
      ],
    });
  });

  it('reads labels under another prefix only', () => {
    const result = parseServiceLabels(
      {
        'com.example.eds.service': 'api',
        'eds.service': 'ignored',
        'com.example.eds.port': '9000',
      },
      'com.example.eds',
    );
    expect(result.ok && result.value.map((b) => [b.cluster, b.port])).toEqual([['api', 9000]]);
  });

  it('serves several clusters from one container, each on its own port, inheriting top-level keys', () => {
    const result = parseServiceLabels(
      {
        'eds.zone': 'z1',
        'eds.weight': '10',
        'eds.services.api.port': '8080',
        'eds.services.admin.port': '9090',
        'eds.services.admin.weight': '1',
        'eds.services.admin.zone': 'z2',
      },
      'eds',
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(
      result.value.map((b) => [b.cluster, b.port, b.weight, b.locality.zone, b.portLabel]),
    ).toEqual([
      ['admin', 9090, 1, 'z2', 'eds.services.admin.port'],
      ['api', 8080, 10, 'z1', 'eds.services.api.port'],
    ]);
  });

  it('merges eds.service with an eds.services entry of the same name instead of serving it twice', () => {
    const result = parseServiceLabels(
      { 'eds.service': 'web', 'eds.port': '80', 'eds.services.web.port': '8080' },
      'eds',
    );
    expect(result.ok && result.value.map((b) => [b.cluster, b.port])).toEqual([['web', 8080]]);
  });

  it('accepts cluster names with dots in the multi-service form', () => {
    const result = parseServiceLabels({ 'eds.services.shop.web.port': '8080' }, 'eds');
    expect(result.ok && result.value.map((b) => b.cluster)).toEqual(['shop.web']);
  });

  it.each([
    ['eds.port', 'http', 'labels["eds.port"]: expected an integer 1-65535, got "http"'],
    ['eds.port', '0', 'labels["eds.port"]: expected an integer 1-65535, got "0"'],
    ['eds.port', '65536', 'labels["eds.port"]: expected an integer 1-65535, got "65536"'],
    ['eds.port', ' 80', 'labels["eds.port"]: expected an integer 1-65535, got " 80"'],
    ['eds.weight', '0', 'labels["eds.weight"]: expected an integer 1-1000000, got "0"'],
    ['eds.weight', '-5', 'labels["eds.weight"]: expected an integer 1-1000000, got "-5"'],
    ['eds.priority', '129', 'labels["eds.priority"]: expected an integer 0-128, got "129"'],
    ['eds.priority', '1.5', 'labels["eds.priority"]: expected an integer 0-128, got "1.5"'],
    ['eds.canary', 'yes', 'labels["eds.canary"]: expected true or false, got "yes"'],
    ['eds.enable', 'on', 'labels["eds.enable"]: expected true or false, got "on"'],
    [
      'eds.network',
      ' ',
      'labels["eds.network"]: expected a Docker network name, got an empty value',
    ],
  ])('rejects %s=%j', (label, value, problem) => {
    expect(parseServiceLabels({ 'eds.service': 'web', [label]: value }, 'eds')).toEqual({
      ok: false,
      problems: [problem],
    });
  });

  it('reads the service options, top-level as defaults and per cluster as overrides', () => {
    const result = parseServiceLabels(
      {
        'eds.services.web.port': '80',
        'eds.services.api.port': '81',
        'eds.lb_policy': 'least_request',
        'eds.connect_timeout': '250ms',
        'eds.services.api.lb_policy': 'RING_HASH',
        'eds.services.api.connect_timeout': '2.5s',
      },
      'eds',
    );
    const options = result.ok ? result.value.map((b) => [b.cluster, served(b.serviceOptions)]) : [];
    expect(options).toEqual([
      ['api', { ...NONE, lb_policy: 'RING_HASH', connect_timeout: '2.500s' }],
      ['web', { ...NONE, lb_policy: 'LEAST_REQUEST', connect_timeout: '0.250s' }],
    ]);
  });

  it.each([
    [
      'eds.lb_policy',
      'fastest',
      'expected one of round_robin, least_request, random, ring_hash, maglev',
    ],
    ['eds.connect_timeout', '0ms', 'expected a duration from 1ms to 60s'],
    ['eds.connect_timeout', '61s', 'expected a duration from 1ms to 60s'],
    ['eds.connect_timeout', '1.5ms', 'expected a duration from 1ms to 60s'],
    ['eds.connect_timeout', '5', 'expected a duration from 1ms to 60s'],
  ])('rejects %s=%s', (label, value, problem) => {
    const result = parseServiceLabels({ 'eds.service': 'web', [label]: value }, 'eds');
    expect(result.ok ? [] : result.problems.join()).toContain(problem);
  });

  it('reads the domains and path prefix a service is routed at', () => {
    const result = parseServiceLabels(
      {
        'eds.services.web.port': '80',
        'eds.services.api.port': '81',
        'eds.domains': ' Shop.Example.com, *.shop.test ,shop.example.com',
        'eds.services.api.path_prefix': '/api/',
      },
      'eds',
    );
    const options = result.ok ? result.value.map((b) => [b.cluster, b.serviceOptions]) : [];
    const domains = ['*.shop.test', 'shop.example.com'];
    expect(options).toEqual([
      ['api', { ...NONE, domains, path_prefix: '/api' }],
      ['web', { ...NONE, domains }],
    ]);
  });

  it.each([
    ['eds.domains', '', 'expected one or more host names separated by commas'],
    ['eds.domains', ' , ', 'expected one or more host names separated by commas'],
    ['eds.domains', 'web.localhost:10000', '"web.localhost:10000" is not a host name'],
    ['eds.domains', 'a.*.com', '"a.*.com" is not a host name'],
    ['eds.domains', '*.a.*', '"*.a.*" is not a host name'],
    ['eds.domains', 'we b', '"we b" is not a host name'],
    ['eds.domains', '-web', '"-web" is not a host name'],
    ['eds.path_prefix', 'api', 'expected a path starting with /'],
    ['eds.path_prefix', '/api?x=1', 'expected a path starting with /'],
    ['eds.path_prefix', '/a b', 'expected a path starting with /'],
    ['eds.path_prefix', '/a//b', 'expected a path starting with /'],
  ])('rejects %s=%j', (label, value, problem) => {
    const result = parseServiceLabels({ 'eds.service': 'web', [label]: value }, 'eds');
    expect(result.ok ? [] : result.problems.join()).toContain(problem);
  });

  it.each([
    ['*', ['*']],
    ['*.example.com', ['*.example.com']],
    ['api.*', ['api.*']],
    ['*-prod.example.com, my_service', ['*-prod.example.com', 'my_service']],
    ['127.0.0.1', ['127.0.0.1']],
  ])('accepts the domains %j', (value, domains) => {
    const result = parseServiceLabels({ 'eds.service': 'web', 'eds.domains': value }, 'eds');
    expect(result.ok && result.value[0]?.serviceOptions?.domains).toEqual(domains);
  });

  it('rejects an invalid cluster name', () => {
    const result = parseServiceLabels({ 'eds.service': 'my service' }, 'eds');
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems[0]).toMatch(
      /^labels\["eds.service"\]: expected a cluster name/,
    );
  });

  it('rejects a misspelt label instead of silently ignoring it', () => {
    const result = parseServiceLabels({ 'eds.service': 'web', 'eds.prot': '8080' }, 'eds');
    expect(!result.ok && result.problems[0]).toMatch(
      /^labels\["eds.prot"\]: unknown label; did you mean eds.port\?$/,
    );
  });

  it('rejects a malformed multi-service label', () => {
    const result = parseServiceLabels(
      { 'eds.services.api': '8080', 'eds.services.api.colour': 'red' },
      'eds',
    );
    expect(!result.ok && result.problems).toEqual([
      'labels["eds.services.api"]: expected eds.services.<cluster>.<key>, <key> being a label that may be set per cluster (eds-agent --help lists the labels)',
      'labels["eds.services.api.colour"]: expected eds.services.<cluster>.<key>, <key> being a label that may be set per cluster (eds-agent --help lists the labels)',
    ]);
  });

  it('lists every problem of a container, not just the first', () => {
    const result = parseServiceLabels(
      {
        'eds.service': 'web',
        'eds.port': 'http',
        'eds.weight': '0',
        'eds.services.api.priority': 'high',
      },
      'eds',
    );
    expect(!result.ok && result.problems).toEqual([
      'labels["eds.port"]: expected an integer 1-65535, got "http"',
      'labels["eds.weight"]: expected an integer 1-1000000, got "0"',
      'labels["eds.services.api.priority"]: expected an integer 0-128, got "high"',
    ]);
  });

  it('quotes at most 64 characters of a value in a problem, whatever its size', () => {
    const huge = '8'.repeat(65_536);
    const result = parseServiceLabels(
      { 'eds.service': 'web', 'eds.port': huge, [`eds.${huge}`]: 'x' },
      'eds',
    );
    const problems = result.ok ? [] : result.problems;
    expect(problems).toHaveLength(2);
    for (const problem of problems) {
      expect(problem.length).toBeLessThan(300); // the message, not the value
      expect(problem).toMatch(/\((65536|65540) characters\)/);
    }
  });
});
