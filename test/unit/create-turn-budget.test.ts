import { describe, expect, it } from 'vitest';

import { createTurnBudget } from '../../src/transports/http/create-turn-budget.js';

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
});
