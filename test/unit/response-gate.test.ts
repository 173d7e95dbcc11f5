import { describe, expect, it } from 'vitest';

import { ResponseGate } from '../../src/transports/grpc/response-gate.js';

// One build per type at a time; what asks for a type meanwhile, or while the client does not
// read, is asked again once it can be answered, merged into one.

function harness() {
  const queue: Iterator<unknown>[] = [];
  const asked: string[] = [];
  const built: string[] = [];
  const gate = new ResponseGate(
    (build) => queue.push(build),
    (typeUrl, only, force) => {
      asked.push(`${typeUrl} ${only?.join('+') ?? 'all'}${force ? ' forced' : ''}`);
    },
  );
  /** A build of two slices. */
  const build = (name: string) =>
    function* () {
      yield;
      built.push(name);
    };
  /** Runs every queued build one slice further. */
  const turn = () => {
    for (const job of queue.splice(0)) if (job.next().done !== true) queue.push(job);
  };
  return { gate, build, turn, asked, built, queue };
}

describe('the response gate', () => {
  it('builds one response of a type at a time, and asks again for what came meanwhile, merged', () => {
    const { gate, build, turn, asked, built } = harness();
    gate.run('EDS', ['web'], false, build('first'));
    gate.run('EDS', ['api'], false, build('never'));
    gate.run('EDS', ['db'], true, build('never'));
    gate.run('CDS', undefined, false, build('clusters')); // another type is not held up
    turn();
    expect(asked).toEqual([]);
    turn();
    expect(built).toEqual(['first', 'clusters']);
    expect(asked).toEqual(['EDS api+db forced']);
  });

  it('builds nothing while the client does not read, then what it is owed', () => {
    const { gate, build, turn, asked, queue } = harness();
    gate.block();
    gate.run('EDS', ['web'], false, build('never'));
    gate.run('CDS', undefined, false, build('never'));
    turn();
    expect(queue).toEqual([]);
    gate.drain();
    expect(asked).toEqual(['EDS web', 'CDS all']);
  });

  it('builds nothing once closed, and stops asking', () => {
    const { gate, build, turn, asked, built } = harness();
    gate.run('EDS', ['web'], false, build('first'));
    gate.run('EDS', ['api'], false, build('never'));
    gate.close();
    turn();
    turn();
    gate.run('EDS', ['db'], false, build('never'));
    expect(built).toEqual(['first']);
    expect(asked).toEqual([]);
  });
});
