import { describe, expect, it } from 'vitest';

import {
  BULK_REQUEST_BYTES,
  createTurnBudget,
} from '../../src/transports/shared/create-turn-budget.js';

/** Resolves after the current turn's immediates, i.e. at the start of the next turn. */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('createTurnBudget', () => {
  it('runs work in arrival order, in a later turn', async () => {
    const budget = createTurnBudget(10);
    const ran: number[] = [];
    for (let i = 0; i < 5; i++) budget.run(() => ran.push(i));
    expect(ran).toEqual([]);
    await nextTurn();
    expect(ran).toEqual([0, 1, 2, 3, 4]);
    expect(budget.queued).toBe(0);
  });

  it('stops a turn once its budget is spent, and goes on in the next', async () => {
    let clock = 0;
    const budget = createTurnBudget(10, () => clock);
    const ran: number[] = [];
    for (let i = 0; i < 6; i++)
      budget.run(() => {
        ran.push(i);
        clock += 4; // each piece costs 4 ms: three fit in a 10 ms turn (the third overruns)
      });
    await nextTurn();
    expect(ran).toEqual([0, 1, 2]);
    expect(budget.queued).toBe(3);
    await nextTurn();
    expect(ran).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('keeps running the rest when one piece of work throws', async () => {
    const budget = createTurnBudget(10);
    const ran: string[] = [];
    budget.run(() => {
      throw new Error('a bug in one handler');
    });
    budget.run(() => ran.push('after'));
    const uncaught = new Promise<unknown>((resolve) => process.once('uncaughtException', resolve));
    await uncaught;
    await nextTurn();
    await nextTurn();
    expect(ran).toEqual(['after']);
  });

  it('gives new work and long work turns of their own, alternating while both wait', async () => {
    let clock = 0;
    const budget = createTurnBudget(10, () => clock);
    const ran: string[] = [];
    /** Long work: `slices` steps of 2 ms, each queueing the next. */
    const longWork = (name: string, slices: number) => {
      let done = 0;
      const step = () => {
        ran.push(`${name}${done}`);
        clock += 2;
        if (++done < slices) budget.continue(step);
      };
      budget.continue(step);
    };
    longWork('a', 8);
    longWork('b', 8);
    await nextTurn();
    // Alone, the steps share the whole turn, in turns: five of 2 ms.
    expect(ran).toEqual(['a0', 'b0', 'a1', 'b1', 'a2']);
    ran.length = 0;
    for (let i = 0; i < 7; i++)
      budget.run(() => {
        ran.push(`poll${i}`);
        clock += 2;
      });
    await nextTurn();
    // New work gets the next turn to itself...
    expect(ran).toEqual(['poll0', 'poll1', 'poll2', 'poll3', 'poll4']);
    ran.length = 0;
    await nextTurn();
    // ...then the steps get one, though new work still waits...
    expect(ran).toEqual(['b2', 'a3', 'b3', 'a4', 'b4']);
    ran.length = 0;
    await nextTurn();
    // ...and a turn of new work ends when new work runs out, before any step runs.
    expect(ran).toEqual(['poll5', 'poll6']);
    ran.length = 0;
    await nextTurn();
    expect(ran).toEqual(['a5', 'b5', 'a6', 'b6', 'a7']);
  });

  it('runs the answer to a large request as bulk work, after the small ones queued with it', async () => {
    let clock = 0;
    const budget = createTurnBudget(10, () => clock);
    const ran: string[] = [];
    const answer = (name: string, bytes: number) => {
      budget.run(() => {
        ran.push(name);
        clock += 1;
      }, bytes);
    };
    answer('large', BULK_REQUEST_BYTES);
    answer('small', 2000);
    answer('just under', BULK_REQUEST_BYTES - 1);
    await nextTurn();
    expect(ran).toEqual(['small', 'just under']);
    await nextTurn();
    expect(ran).toEqual(['small', 'just under', 'large']);
  });

  it('runs work started by work it runs at once, while the turn has time left', async () => {
    let clock = 0;
    const budget = createTurnBudget(10, () => clock);
    const ran: string[] = [];
    budget.runInThisTurn(() => ran.push('outside a turn: queued'));
    expect(ran).toEqual([]);
    budget.run(() => {
      ran.push('request');
      budget.runInThisTurn(() => ran.push('its answer, at once'));
      clock += 10;
      budget.runInThisTurn(() => ran.push('another answer, next turn'));
    });
    budget.run(() => ran.push('the next request'));
    await nextTurn();
    expect(ran).toEqual(['outside a turn: queued', 'request', 'its answer, at once']);
    await nextTurn();
    expect(ran.slice(3)).toEqual(['the next request', 'another answer, next turn']);
  });
});
