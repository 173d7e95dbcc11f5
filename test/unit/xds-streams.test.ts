import { describe, expect, it } from 'vitest';

import {
  CLUSTER_LOAD_ASSIGNMENT_TYPE_URL,
  CLUSTER_TYPE_URL,
  LISTENER_TYPE_URL,
  ROUTE_CONFIGURATION_TYPE_URL,
} from '../../src/core/type-urls.js';
import { DeltaStream } from '../../src/transports/grpc/delta-stream.js';
import { toAnyMessage } from '../../src/transports/grpc/encode-discovery-response.js';
import { SotwStream } from '../../src/transports/grpc/sotw-stream.js';
import type {
  ClientReply,
  DeltaResponse,
  SotwResponse,
  XdsResources,
  XdsStream,
} from '../../src/transports/grpc/xds-protocol.js';

// Both protocol variants, driven request by request against a fake snapshot, with a fake
// `send` that records what the client would receive. Each resource is packed as the bytes
// `<name>@<version>`, so a response reads as `CDS: api@1 web@1` (state of the world) or
// `CDS: +web@2 -api` (delta: sent and removed); an unknown endpoint name is `<name>@empty`.
// A stream takes at most 4 names per request and in all, and 40 characters of them in all.

const TYPES = {
  CDS: CLUSTER_TYPE_URL,
  EDS: CLUSTER_LOAD_ASSIGNMENT_TYPE_URL,
  LDS: LISTENER_TYPE_URL,
  RDS: ROUTE_CONFIGURATION_TYPE_URL,
} as const;
type Type = keyof typeof TYPES;
const shortName = (typeUrl: string) =>
  (Object.keys(TYPES) as Type[]).find((type) => TYPES[type] === typeUrl) ?? typeUrl;

/** A snapshot to serve from: per type, name → version. */
function fakeResources(initial: Partial<Record<Type, Record<string, string>>>) {
  const versions = new Map<string, Map<string, string>>(
    (Object.keys(TYPES) as Type[]).map((type) => [
      TYPES[type],
      new Map(Object.entries(initial[type] ?? {})),
    ]),
  );
  let ready = true;
  const resources: XdsResources = {
    ready: () => ready,
    names: (typeUrl) => [...(versions.get(typeUrl)?.keys() ?? [])].sort(),
    has: (typeUrl, name) => versions.get(typeUrl)?.has(name) ?? false,
    resource(typeUrl, name) {
      const version =
        versions.get(typeUrl)?.get(name) ??
        (typeUrl === CLUSTER_LOAD_ASSIGNMENT_TYPE_URL ? 'empty' : undefined);
      return version === undefined
        ? undefined
        : { version, any: toAnyMessage(typeUrl, Buffer.from(`${name}@${version}`)) };
    },
  };
  return {
    resources,
    setReady: (value: boolean) => (ready = value),
    set: (type: Type, name: string, version: string | undefined) => {
      const map = versions.get(TYPES[type]);
      if (version === undefined) map?.delete(name);
      else map?.set(name, version);
    },
  };
}

type Step =
  /** A request of `type`: SotW with `names`; delta with `subscribe`/`unsubscribe`/`initial`. */
  | {
      readonly ask: Type;
      readonly names?: string[];
      readonly subscribe?: string[];
      readonly unsubscribe?: string[];
      readonly initial?: Record<string, string>;
      /** Carries the nonce of the type's last response (`ack`), with an error (`nack`), or an older one (`stale`). */
      readonly reply?: 'ack' | 'nack' | 'stale';
      /** Why the stream refuses the request; none when it takes it. */
      readonly refused?: string;
    }
  /** The snapshot changes: each resource given gets that version (`null`: it is gone). */
  | { readonly change: Type; readonly to: Record<string, string | null> }
  /** Every source has been read: the store's first full sync. */
  | { readonly synced: true }
  /** The client stops reading, or reads again. */
  | { readonly block: true }
  | { readonly drain: true }
  /** What the client received since the last `receives`. */
  | { readonly receives: string[] }
  /** What the stream reported of the client's ACKs and NACKs since the last `reports`. */
  | { readonly reports: string[] };

interface Scenario {
  readonly title: string;
  readonly variant: 'sotw' | 'delta';
  readonly snapshot: Partial<Record<Type, Record<string, string>>>;
  readonly ready?: false;
  readonly steps: readonly Step[];
}

function run({ variant, snapshot, ready, steps }: Scenario): void {
  const fake = fakeResources(snapshot);
  if (ready === false) fake.setReady(false);
  const received: string[] = [];
  const reported: string[] = [];
  const nonces = new Map<string, string>();
  let writable = true;
  const digest = (response: SotwResponse | DeltaResponse): string => {
    nonces.set(response.type_url, response.nonce);
    const parts =
      'removed_resources' in response
        ? [
            ...response.resources.map((r) => `+${Buffer.from(r.resource.value).toString()}`),
            ...response.removed_resources.map((name) => `-${name}`),
          ]
        : response.resources.map((any) => Buffer.from(any.value).toString());
    return [`${shortName(response.type_url)}:`, ...parts].join(' ');
  };
  const options = {
    resources: fake.resources,
    served: new Set(Object.values(TYPES)),
    send: (response: SotwResponse | DeltaResponse) => {
      received.push(digest(response));
      return writable;
    },
    onReply: (reply: ClientReply) => {
      reported.push(
        `${reply.kind} ${shortName(reply.typeUrl)}${reply.message ? `: ${reply.message}` : ''}`,
      );
    },
    limits: { maxNames: 4, maxNameBytes: 40 },
  };
  const stream: XdsStream = variant === 'sotw' ? new SotwStream(options) : new DeltaStream(options);
  for (const step of steps) {
    if ('ask' in step) {
      const typeUrl = TYPES[step.ask];
      const nonce =
        step.reply === 'stale' ? 'an-older-nonce' : step.reply ? nonces.get(typeUrl) : undefined;
      const refused = stream.onRequest({
        type_url: typeUrl,
        ...(step.names ? { resource_names: step.names } : {}),
        ...(step.subscribe ? { resource_names_subscribe: step.subscribe } : {}),
        ...(step.unsubscribe ? { resource_names_unsubscribe: step.unsubscribe } : {}),
        ...(step.initial ? { initial_resource_versions: step.initial } : {}),
        ...(nonce ? { response_nonce: nonce } : {}),
        ...(step.reply === 'nack' ? { error_detail: { code: 3, message: 'refused' } } : {}),
      });
      expect(refused).toBe(step.refused);
    } else if ('change' in step) {
      for (const [name, version] of Object.entries(step.to))
        fake.set(step.change, name, version ?? undefined);
      stream.onChange([[TYPES[step.change], Object.keys(step.to)]]);
    } else if ('synced' in step) {
      fake.setReady(true);
      stream.onChange([]);
    } else if ('block' in step) {
      writable = false;
    } else if ('drain' in step) {
      writable = true;
      stream.onDrain();
    } else if ('receives' in step) {
      expect(received.splice(0)).toEqual(step.receives);
    } else {
      expect(reported.splice(0)).toEqual(step.reports);
    }
  }
  expect(received, 'responses nobody checked').toEqual([]);
}

const sotw = (scenario: Omit<Scenario, 'variant'>): Scenario => ({ ...scenario, variant: 'sotw' });
const delta = (scenario: Omit<Scenario, 'variant'>): Scenario => ({
  ...scenario,
  variant: 'delta',
});

const bothVariants: Scenario[] = [
  sotw({
    title: 'sends nothing before the first full sync, then the subscription',
    snapshot: { EDS: { web: '1' } },
    ready: false,
    steps: [
      { ask: 'EDS', names: ['web'] },
      { receives: [] },
      { synced: true },
      { receives: ['EDS: web@1'] },
    ],
  }),
  delta({
    title: 'sends nothing before the first full sync, then the subscription',
    snapshot: { EDS: { web: '1' } },
    ready: false,
    steps: [
      { ask: 'EDS', subscribe: ['web'] },
      { receives: [] },
      { synced: true },
      { receives: ['EDS: +web@1'] },
    ],
  }),
  sotw({
    title: 'reports every ACK and each NACK once',
    snapshot: { EDS: { web: '1' } },
    steps: [
      { ask: 'EDS', names: ['web'] },
      { receives: ['EDS: web@1'] },
      { ask: 'EDS', names: ['web'], reply: 'ack' },
      { ask: 'EDS', names: ['web'], reply: 'ack' },
      { reports: ['ack EDS', 'ack EDS'] },
      { change: 'EDS', to: { web: '2' } },
      { receives: ['EDS: web@2'] },
      { ask: 'EDS', names: ['web'], reply: 'nack' },
      { ask: 'EDS', names: ['web'], reply: 'nack' },
      { reports: ['nack EDS: refused'] },
    ],
  }),
  delta({
    title: 'reports every ACK and each NACK once',
    snapshot: { EDS: { web: '1' } },
    steps: [
      { ask: 'EDS', subscribe: ['web'] },
      { receives: ['EDS: +web@1'] },
      { ask: 'EDS', reply: 'ack' },
      { ask: 'EDS', reply: 'ack' },
      { reports: ['ack EDS', 'ack EDS'] },
      { change: 'EDS', to: { web: '2' } },
      { receives: ['EDS: +web@2'] },
      { ask: 'EDS', reply: 'nack' },
      { ask: 'EDS', reply: 'nack' },
      { reports: ['nack EDS: refused'] },
    ],
  }),
  sotw({
    title: 'keeps only the latest state for a client that stops reading, and sends it at drain',
    snapshot: { EDS: { web: '1' } },
    steps: [
      { ask: 'EDS', names: ['web'] },
      { block: true },
      { change: 'EDS', to: { web: '2' } },
      { receives: ['EDS: web@1', 'EDS: web@2'] }, // the write that found the buffer full
      { change: 'EDS', to: { web: '3' } },
      { change: 'EDS', to: { web: '4' } },
      { receives: [] },
      { drain: true },
      { receives: ['EDS: web@4'] },
    ],
  }),
  delta({
    title: 'keeps only the latest state for a client that stops reading, and sends it at drain',
    snapshot: { EDS: { web: '1', api: '1' } },
    steps: [
      { ask: 'EDS', subscribe: ['web', 'api'] },
      { block: true },
      { change: 'EDS', to: { web: '2' } },
      { receives: ['EDS: +api@1 +web@1', 'EDS: +web@2'] },
      { change: 'EDS', to: { web: '3', api: null } },
      { receives: [] },
      { drain: true },
      { receives: ['EDS: +api@empty +web@3'] },
    ],
  }),
];

const stateOfTheWorld: Scenario[] = [
  sotw({
    title: 'ignores a request that answers an older response, whatever it asks',
    snapshot: { EDS: { web: '1', api: '1' } },
    steps: [
      { ask: 'EDS', names: ['web'] },
      { receives: ['EDS: web@1'] },
      { ask: 'EDS', names: ['web', 'api'], reply: 'stale' },
      { receives: [] },
      { reports: [] },
      { ask: 'EDS', names: ['web', 'api'], reply: 'ack' },
      { receives: ['EDS: api@1 web@1'] },
    ],
  }),
  sotw({
    title: 'does not send a refused version again, but the next one',
    snapshot: { CDS: { web: '1' } },
    steps: [
      { ask: 'CDS' },
      { receives: ['CDS: web@1'] },
      { ask: 'CDS', reply: 'nack' },
      { change: 'CDS', to: { web: '1' } },
      { receives: [] },
      { change: 'CDS', to: { web: '2' } },
      { receives: ['CDS: web@2'] },
    ],
  }),
  sotw({
    title: 'sends clusters and listeners as the whole set, endpoints and routes as what changed',
    snapshot: { CDS: { web: '1', api: '1' }, EDS: { web: '1', api: '1' } },
    steps: [
      { ask: 'CDS' },
      { ask: 'EDS', names: ['web', 'api'] },
      { receives: ['CDS: api@1 web@1', 'EDS: api@1 web@1'] },
      { change: 'CDS', to: { web: '2' } },
      { change: 'EDS', to: { web: '2' } },
      { receives: ['CDS: api@1 web@2', 'EDS: web@2'] },
    ],
  }),
  sotw({
    title: 'is quiet when what changed is not subscribed to, or did not change',
    snapshot: { EDS: { web: '1', api: '1' } },
    steps: [
      { ask: 'EDS', names: ['web'] },
      { receives: ['EDS: web@1'] },
      { ask: 'EDS', names: ['web'], reply: 'ack' },
      { change: 'EDS', to: { api: '2' } },
      { receives: [] },
    ],
  }),
  sotw({
    title: 'legacy wildcard: a cluster request with no names gets every cluster, new ones too',
    snapshot: { CDS: { web: '1' } },
    steps: [
      { ask: 'CDS', names: [] },
      { receives: ['CDS: web@1'] },
      { ask: 'CDS', names: [], reply: 'ack' },
      { receives: [] },
      { change: 'CDS', to: { api: '1' } },
      { receives: ['CDS: api@1 web@1'] },
    ],
  }),
  sotw({
    title: 'an explicit * is the wildcard; a request that drops it subscribes to its names alone',
    snapshot: { CDS: { web: '1', api: '1' } },
    steps: [
      { ask: 'CDS', names: ['*'] },
      { receives: ['CDS: api@1 web@1'] },
      { ask: 'CDS', names: ['web'], reply: 'ack' },
      { receives: ['CDS: web@1'] },
      { change: 'CDS', to: { db: '1' } },
      { receives: [] },
      { ask: 'CDS', names: [], reply: 'ack' },
      { receives: ['CDS:'] }, // no legacy wildcard once named: an empty list is no cluster
      { ask: 'CDS', names: ['*'], reply: 'ack' },
      { receives: ['CDS: api@1 db@1 web@1'] },
    ],
  }),
  sotw({
    title: 'answers a new name at once, even when nothing changed',
    snapshot: { EDS: { web: '1' } },
    steps: [
      { ask: 'EDS', names: ['web'] },
      { receives: ['EDS: web@1'] },
      { ask: 'EDS', names: ['web', 'nothing-here'], reply: 'ack' },
      { receives: ['EDS: nothing-here@empty web@1'] },
    ],
  }),
  sotw({
    title:
      'owes the endpoints a response after clusters, changed or not (Envoy warms its clusters)',
    snapshot: { CDS: { web: '1' }, EDS: { web: '1' } },
    steps: [
      { ask: 'CDS' },
      { ask: 'EDS', names: ['web'] },
      { receives: ['CDS: web@1', 'EDS: web@1'] },
      { ask: 'EDS', names: ['web'], reply: 'ack' },
      { receives: [] },
      { change: 'CDS', to: { web: '2' } },
      { receives: ['CDS: web@2'] },
      { ask: 'EDS', names: ['web'], reply: 'ack' },
      { receives: ['EDS: web@1'] },
    ],
  }),
];

const limited: Scenario[] = [
  sotw({
    title: 'refuses a request naming more than the limit, and sends nothing for it',
    snapshot: { EDS: { web: '1' } },
    steps: [
      {
        ask: 'EDS',
        names: ['a', 'b', 'c', 'd', 'e'],
        refused: 'resource_names: at most 4 resource names per request, got 5',
      },
      { receives: [] },
    ],
  }),
  sotw({
    title: 'refuses names that add up past the limit over the types of one stream',
    snapshot: { EDS: { web: '1' }, RDS: { routes: '1' } },
    steps: [
      { ask: 'EDS', names: ['web', 'api', 'db'] },
      { receives: ['EDS: api@empty db@empty web@1'] },
      {
        ask: 'RDS',
        names: ['routes', 'grpc/web'],
        refused: 'at most 4 resource names per stream, got 5',
      },
      { receives: [] },
    ],
  }),
  sotw({
    title: 'counts a state-of-the-world list as the whole subscription: it replaces the last one',
    snapshot: { EDS: { a: '1', b: '1', c: '1', d: '1', e: '1' } },
    steps: [
      { ask: 'EDS', names: ['a', 'b', 'c', 'd'] },
      { receives: ['EDS: a@1 b@1 c@1 d@1'] },
      { ask: 'EDS', names: ['b', 'c', 'd', 'e'], reply: 'ack' },
      { receives: ['EDS: b@1 c@1 d@1 e@1'] },
    ],
  }),
  sotw({
    title: 'refuses names whose length adds up past the limit',
    snapshot: {},
    steps: [
      {
        ask: 'EDS',
        names: ['a'.repeat(30), 'b'.repeat(11)],
        refused: 'at most 40 bytes of resource names per stream, got 41',
      },
    ],
  }),
  delta({
    title: 'refuses a request subscribing to more than the limit at once',
    snapshot: {},
    steps: [
      {
        ask: 'EDS',
        subscribe: ['a', 'b', 'c', 'd', 'e'],
        refused: 'resource_names_subscribe: at most 4 resource names per request, got 5',
      },
      { receives: [] },
    ],
  }),
  delta({
    title: 'refuses subscriptions that add up past the limit, and counts a name once',
    snapshot: { EDS: { a: '1' } },
    steps: [
      { ask: 'EDS', subscribe: ['a', 'b', 'c'] },
      { receives: ['EDS: +a@1 +b@empty +c@empty'] },
      { ask: 'EDS', subscribe: ['a', 'c', 'd'], reply: 'ack' },
      { receives: ['EDS: +d@empty'] },
      {
        ask: 'EDS',
        subscribe: ['e'],
        reply: 'ack',
        refused: 'at most 4 resource names per stream, got 5',
      },
      { receives: [] },
    ],
  }),
];

const incremental: Scenario[] = [
  delta({
    title: 'legacy wildcard: no names subscribes to every cluster; a change sends what differs',
    snapshot: { CDS: { web: '1', api: '1' } },
    steps: [
      { ask: 'CDS' },
      { receives: ['CDS: +api@1 +web@1'] },
      { change: 'CDS', to: { web: '2', db: '1', api: null } },
      { receives: ['CDS: +db@1 +web@2 -api'] },
      { change: 'CDS', to: { web: '2' } },
      { receives: [] },
    ],
  }),
  delta({
    title: 'answers a first request even when there is nothing to send',
    snapshot: {},
    steps: [{ ask: 'CDS' }, { receives: ['CDS:'] }, { ask: 'CDS', reply: 'ack' }, { receives: [] }],
  }),
  delta({
    title: 'an explicit * subscribes to everything; unsubscribing it keeps only the names',
    snapshot: { CDS: { web: '1', api: '1' } },
    steps: [
      { ask: 'CDS', subscribe: ['web'] },
      { receives: ['CDS: +web@1'] },
      { ask: 'CDS', subscribe: ['*'], reply: 'ack' },
      { receives: ['CDS: +api@1'] },
      { ask: 'CDS', unsubscribe: ['*'], reply: 'ack' },
      { receives: ['CDS: -api'] }, // held through the wildcard alone
      { change: 'CDS', to: { db: '1', web: '2' } },
      { receives: ['CDS: +web@2'] },
    ],
  }),
  delta({
    title: 'sends a name unsubscribed under the wildcard again: the client dropped it',
    snapshot: { CDS: { web: '1' } },
    steps: [
      { ask: 'CDS', subscribe: ['*', 'web'] },
      { receives: ['CDS: +web@1'] },
      { ask: 'CDS', unsubscribe: ['web'], reply: 'ack' },
      { receives: ['CDS: +web@1'] },
    ],
  }),
  delta({
    title: 'stops sending a name once unsubscribed',
    snapshot: { EDS: { web: '1', api: '1' } },
    steps: [
      { ask: 'EDS', subscribe: ['web', 'api'] },
      { receives: ['EDS: +api@1 +web@1'] },
      { ask: 'EDS', unsubscribe: ['web'], reply: 'ack' },
      { receives: [] },
      { change: 'EDS', to: { web: '2' } },
      { receives: [] },
      { change: 'EDS', to: { api: '2' } },
      { receives: ['EDS: +api@2'] },
    ],
  }),
  delta({
    title: 'on reconnect, sends only what differs from what the client holds',
    snapshot: { CDS: { web: '1', db: '1' } },
    steps: [
      { ask: 'CDS', initial: { web: '1', api: '1', db: '0' } },
      { receives: ['CDS: +db@1 -api'] },
    ],
  }),
];

describe('the xDS streams, state of the world and delta', () => {
  it.each(bothVariants)('$variant: $title', run);
});

describe('a state-of-the-world stream', () => {
  it.each(stateOfTheWorld)('$title', run);
});

describe('a delta stream', () => {
  it.each(incremental)('$title', run);
});

describe('the bounds of a stream', () => {
  it.each(limited)('$variant: $title', run);
});
