import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { hasPrefixedLabels } from '../../src/core/labels/parse-service-labels.js';
import { EVENT_FILTERS, toEventHint } from '../../src/sources/docker/to-event-hint.js';
import type { DockerEvent } from '../../src/sources/engine/docker-json.js';

/** Whether a container's labels are the agent's under the default prefix. */
const watchesEds = (labels: Readonly<Record<string, string>>) => hasPrefixedLabels(labels, 'eds');

// Captured from a real engine with the agent's event filter: network connect/disconnect,
// kill -s HUP, rename, docker stop (kill 15, kill 9, die, stop), rm, network rm.
const events = readFileSync(new URL('../fixtures/docker/events.jsonl', import.meta.url), 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as DockerEvent);

describe('toEventHint', () => {
  it('turns a real event sequence into re-read hints with stop state, and says which ended the container', () => {
    expect(
      events.map((event) => {
        const hint = toEventHint(event, watchesEds);
        return hint
          ? `${hint.action} labelled=${String(hint.labelled)} stopping=${hint.stopping}${hint.ended ? ' ended' : ''}`
          : 'ignored';
      }),
    ).toEqual([
      'connect labelled=undefined stopping=keep',
      'disconnect labelled=undefined stopping=keep',
      'disconnect labelled=undefined stopping=keep',
      'kill labelled=true stopping=keep',
      'rename labelled=true stopping=keep',
      'kill labelled=true stopping=set',
      'kill labelled=true stopping=keep',
      'die labelled=true stopping=clear ended',
      'disconnect labelled=undefined stopping=keep',
      'stop labelled=true stopping=set ended',
      'destroy labelled=true stopping=clear ended',
      'ignored',
    ]);
  });

  it('names the container of a network event by its attribute, not the network id', () => {
    const connect = events[0];
    expect(connect && toEventHint(connect, watchesEds)?.containerId).toBe(events[3]?.Actor?.ID);
  });

  it('strips the detail from health_status actions', () => {
    const hint = toEventHint(
      {
        Type: 'container',
        Action: 'health_status: unhealthy',
        Actor: { ID: 'abc', Attributes: { 'eds.service': 'web' } },
      },
      watchesEds,
    );
    expect(hint).toEqual({
      containerId: 'abc',
      action: 'health_status',
      labelled: true,
      stopping: 'keep',
      ended: false,
    });
  });

  it('marks containers without our labels as not labelled', () => {
    const hint = toEventHint(
      { Type: 'container', Action: 'start', Actor: { ID: 'abc', Attributes: { image: 'x' } } },
      watchesEds,
    );
    expect(hint?.labelled).toBe(false);
  });

  it.each([
    [{ Type: 'container', Action: 'exec_start: sh', Actor: { ID: 'abc' } }],
    [{ Type: 'image', Action: 'pull', Actor: { ID: 'busybox' } }],
    [{ Type: 'container', Action: 'start', Actor: {} }],
    [{}],
  ])('ignores %j', (event: DockerEvent) => {
    expect(toEventHint(event, watchesEds)).toBeUndefined();
  });

  it("reads Podman's names for die and destroy as Docker's, and asks the engine for both", () => {
    const podman = (action: string) =>
      toEventHint(
        {
          Type: 'container',
          Action: action,
          Actor: { ID: 'abc', Attributes: { 'eds.service': 'web' } },
        },
        watchesEds,
      );
    expect(podman('remove')).toMatchObject({ action: 'destroy', ended: true, stopping: 'clear' });
    expect(podman('died')).toMatchObject({ action: 'die', ended: true });
    expect(podman('health_status')).toMatchObject({ action: 'health_status', ended: false });
    expect(EVENT_FILTERS.event).toEqual(
      expect.arrayContaining(['die', 'died', 'destroy', 'remove']),
    );
  });
});
