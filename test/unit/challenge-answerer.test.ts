import { describe, expect, it } from 'vitest';

import { createSnapshotStore } from '../../src/snapshot-store.js';
import { createChallengeAnswerer } from '../../src/sources/certificates/start-certificates.js';

// ACME HTTP-01 answers on the front door's HTTP listener: served while the order needs them,
// and never left behind by an order that failed because no Envoy took them.

const frontDoor = { http: { address: '0.0.0.0', port: 80 } };
const answers = (store: ReturnType<typeof createSnapshotStore>) => [
  ...(store.current().frontDoor?.challenges ?? new Map<string, string>()),
];

describe('the ACME challenge answerer', () => {
  it('answers a token once Envoy has taken it, and withdraws it when the order is done', async () => {
    const store = createSnapshotStore({ frontDoor });
    const answerer = createChallengeAnswerer({
      store,
      httpRoutesAcked: () => Promise.resolve(true),
    });
    await answerer.answer('tok', 'tok.key');
    expect(answers(store)).toEqual([['tok', 'tok.key']]);
    answerer.withdraw('tok');
    expect(answers(store)).toEqual([]);
  });

  it('withdraws the answer of an order it fails because no Envoy took the route', async () => {
    const store = createSnapshotStore({ frontDoor });
    const answerer = createChallengeAnswerer({
      store,
      httpRoutesAcked: () => Promise.resolve(false),
    });
    await expect(answerer.answer('tok', 'tok.key')).rejects.toThrow(/no Envoy took/);
    expect(answers(store)).toEqual([]);
  });

  it('refuses at once without the front door’s HTTP listener', async () => {
    const store = createSnapshotStore({ frontDoor: { https: { address: '0.0.0.0', port: 443 } } });
    const answerer = createChallengeAnswerer({
      store,
      httpRoutesAcked: () => Promise.resolve(true),
    });
    await expect(answerer.answer('tok', 'tok.key')).rejects.toThrow(/--listen http=/);
  });
});
