import { describe, expect, it } from 'vitest';

import { Subscription } from '../../src/transports/grpc/subscription.js';

// What a client subscribed to after a sequence of requests, by the rules of the xDS protocol
// ("How the client specifies what resources to return"). `list()` is the subscription as
// /status shows it: `*` for the wildcard, then the names.

describe('a state-of-the-world subscription (each request lists the whole subscription)', () => {
  it.each<{ rule: string; requests: string[][]; list: string[] }>([
    {
      rule: 'a first request with no names subscribes to every resource (legacy wildcard)',
      requests: [[]],
      list: ['*'],
    },
    {
      rule: 'and later requests with no names keep it so',
      requests: [[], [], []],
      list: ['*'],
    },
    {
      rule: 'naming a resource ends the legacy wildcard',
      requests: [[], ['web']],
      list: ['web'],
    },
    {
      rule: 'after which an empty list subscribes to nothing',
      requests: [[], ['web'], []],
      list: [],
    },
    { rule: 'an explicit * subscribes to every resource', requests: [['*']], list: ['*'] },
    {
      rule: 'an explicit * is over once a request leaves it out, even with no names',
      requests: [['*'], []],
      list: [],
    },
    {
      rule: 'a * beside names keeps both, and leaving the * out keeps the names',
      requests: [['*', 'web'], ['web']],
      list: ['web'],
    },
    {
      rule: 'a repeated name counts once',
      requests: [['web', 'web', 'api']],
      list: ['web', 'api'],
    },
  ])('$rule', ({ requests, list }) => {
    const [first = [], ...later] = requests;
    const subscription = Subscription.sotw(first);
    for (const names of later) subscription.setNames(names);
    expect(subscription.list()).toEqual(list);
  });

  it.each<{ from: string[]; to: string[]; changed: boolean }>([
    { from: [], to: [], changed: false },
    { from: [], to: ['*'], changed: false },
    { from: ['web'], to: ['web'], changed: false },
    { from: ['web', 'api'], to: ['api', 'web'], changed: false },
    { from: ['web'], to: ['web', 'api'], changed: true },
    { from: ['web', 'api'], to: ['web'], changed: true },
    { from: ['*'], to: ['*', 'web'], changed: true },
    { from: ['*'], to: [], changed: true },
    { from: [], to: ['web'], changed: true },
  ])('going from $from to $to is a change: $changed', ({ from, to, changed }) => {
    expect(Subscription.sotw(from).setNames(to)).toBe(changed);
  });
});

describe('a delta subscription (each request adds and removes names)', () => {
  type Request = { subscribe?: string[]; unsubscribe?: string[] };
  it.each<{ rule: string; requests: Request[]; list: string[] }>([
    {
      rule: 'a first request subscribing to nothing subscribes to every resource (legacy wildcard)',
      requests: [{}],
      list: ['*'],
    },
    {
      rule: 'naming resources then keeps the wildcard and adds them',
      requests: [{}, { subscribe: ['web'] }],
      list: ['*', 'web'],
    },
    {
      rule: 'a first request naming a resource subscribes to it alone',
      requests: [{ subscribe: ['web'] }],
      list: ['web'],
    },
    {
      rule: 'an explicit * subscribes to every resource',
      requests: [{ subscribe: ['web'] }, { subscribe: ['*'] }],
      list: ['*', 'web'],
    },
    {
      rule: 'unsubscribing * ends the wildcard and keeps the names',
      requests: [{ subscribe: ['*', 'web'] }, { unsubscribe: ['*'] }],
      list: ['web'],
    },
    {
      rule: 'unsubscribing * ends a legacy wildcard too',
      requests: [{}, { unsubscribe: ['*'] }],
      list: [],
    },
    {
      rule: 'a name is subscribed to until it is unsubscribed',
      requests: [{ subscribe: ['web', 'api'] }, {}, { unsubscribe: ['web'] }],
      list: ['api'],
    },
    {
      rule: 'the subscribes of one request come before its unsubscribes',
      requests: [{ subscribe: ['web'], unsubscribe: ['web'] }],
      list: [],
    },
  ])('$rule', ({ requests, list }) => {
    const [first = {}, ...later] = requests;
    const subscription = Subscription.delta(first.subscribe ?? [], first.unsubscribe ?? [], {});
    for (const { subscribe = [], unsubscribe = [] } of later)
      subscription.updateNames(subscribe, unsubscribe);
    expect(subscription.list()).toEqual(list);
  });

  it('starts from what a reconnecting client holds, and forgets a name unsubscribed', () => {
    const subscription = Subscription.delta(['web', 'api'], [], { web: 'v1', api: 'v2' });
    subscription.updateNames([], ['api']);
    expect(Object.fromEntries(subscription.returned)).toEqual({ web: 'v1' });
  });

  it('marks a name unsubscribed while the wildcard covers it as held in no version, so it is sent again', () => {
    const subscription = Subscription.delta(['*', 'web'], [], { web: 'v1' });
    subscription.updateNames([], ['web']);
    expect(Object.fromEntries(subscription.returned)).toEqual({ web: '' });
    expect(subscription.list()).toEqual(['*']);
  });
});

describe('what a request says of the last response', () => {
  const sent = () => {
    const subscription = Subscription.sotw(['web']);
    subscription.onSent('7', 'v7');
    return subscription;
  };

  it('accepts it (ACK) when it carries its nonce, every time', () => {
    const subscription = sent();
    expect(subscription.readReply('7', undefined)).toEqual({
      kind: 'ack',
      version: 'v7',
      message: '',
    });
    expect(subscription.readReply('7', null)).toEqual({ kind: 'ack', version: 'v7', message: '' });
  });

  it('refuses it (NACK) with an error detail, reported once per version', () => {
    const subscription = sent();
    const refusal = { code: 3, message: 'no' };
    expect(subscription.readReply('7', refusal)).toEqual({
      kind: 'nack',
      version: 'v7',
      message: 'no',
    });
    expect(subscription.readReply('7', refusal)).toBeUndefined();
    expect(subscription.refused).toBe('v7');
    subscription.onSent('8', 'v8');
    expect(subscription.readReply('8', refusal)?.kind).toBe('nack');
  });

  it.each([
    ['no nonce (a first request)', ''],
    ['the nonce of an older response (stale)', '6'],
  ])('says nothing with %s', (_what, nonce) => {
    expect(sent().readReply(nonce, { message: 'no' })).toBeUndefined();
  });

  it('calls a request stale when it carries a nonce other than the last one', () => {
    const subscription = sent();
    expect([
      subscription.isStale(''),
      subscription.isStale('7'),
      subscription.isStale('6'),
    ]).toEqual([false, false, true]);
  });
});
