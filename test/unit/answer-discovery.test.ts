import { afterEach, describe, expect, it, vi } from 'vitest';

import {
  applyClusterEndpoints,
  applySourceSynced,
  EMPTY_SNAPSHOT,
  toAwaitingSnapshot,
} from '../../src/core/index/snapshot.js';
import { answerDiscovery } from '../../src/transports/http/answer-discovery.js';
import { anEndpoint } from '../support/records.js';

const request = (versionInfo?: string) => ({ versionInfo, resourceNames: ['web'] });

describe('answerDiscovery', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('serializes a cluster once per version and API, then reuses the body', () => {
    const { snapshot } = applyClusterEndpoints(EMPTY_SNAPSHOT, [['web', [anEndpoint()]]]);
    const body = (api: 'v2' | 'v3') => {
      const answer = answerDiscovery(snapshot, request(), api);
      return answer.kind === 'response' ? answer.body : undefined;
    };
    const bodies = Array.from({ length: 5 }, () => body('v3'));
    expect(new Set(bodies).size).toBe(1); // the very same bytes, not equal ones
    expect(body('v2')).not.toBe(bodies[0]);
    expect(body('v2')).toBe(body('v2'));
  });

  it('serializes again only when the cluster changes', () => {
    const first = applyClusterEndpoints(EMPTY_SNAPSHOT, [['web', [anEndpoint()]]]).snapshot;
    const second = applyClusterEndpoints(first, [
      ['api', [anEndpoint({ cluster: 'api' })]],
    ]).snapshot;
    const third = applyClusterEndpoints(second, [['web', [anEndpoint({ weight: 3 })]]]).snapshot;
    const body = (snapshot: typeof first) => {
      const answer = answerDiscovery(snapshot, request(), 'v3');
      return answer.kind === 'response' ? answer.body : undefined;
    };
    // Another cluster changed: the same web resource, and its cached body.
    expect(body(second)).toBe(body(first));
    expect(body(third)).not.toBe(body(first));
  });

  it('answers not-modified without serializing anything', () => {
    const { snapshot } = applyClusterEndpoints(EMPTY_SNAPSHOT, [['web', [anEndpoint()]]]);
    const current = answerDiscovery(snapshot, request(), 'v3');
    if (current.kind !== 'response') throw new Error(`expected a response, got ${current.kind}`);
    const stringify = vi.spyOn(JSON, 'stringify');
    expect(answerDiscovery(snapshot, request(current.version), 'v3')).toEqual({
      kind: 'not-modified',
      version: current.version,
    });
    expect(stringify).not.toHaveBeenCalled();
  });

  it('serves nothing while a source has not completed its first full read', () => {
    // The registrations are in, Docker is not: "web" may have containers nobody has listed yet.
    const partial = applyClusterEndpoints(toAwaitingSnapshot(['registrations', 'docker']), [
      ['web', [anEndpoint()]],
    ]).snapshot;
    const registered = applySourceSynced(partial, 'registrations');
    for (const name of ['web', 'unknown']) {
      expect(
        answerDiscovery(registered, { versionInfo: undefined, resourceNames: [name] }, 'v3'),
      ).toEqual({
        kind: 'not-synced',
        awaiting: ['docker'],
      });
    }
    expect(answerDiscovery(registered, request('some-version'), 'v2').kind).toBe('not-synced');

    const complete = applySourceSynced(registered, 'docker');
    expect(answerDiscovery(complete, request(), 'v3').kind).toBe('response');
    // Once complete, an unknown cluster really is empty, and says so.
    expect(
      answerDiscovery(complete, { versionInfo: undefined, resourceNames: ['unknown'] }, 'v3').kind,
    ).toBe('response');
  });
});
