import type { DockerEvent } from '../engine/docker-json.js';

/** Container actions after which the agent looks at the container again. */
const CONTAINER_ACTIONS = [
  'start',
  'die',
  'stop',
  'kill',
  'pause',
  'unpause',
  'destroy',
  'rename',
  'health_status',
] as const;
const NETWORK_ACTIONS = ['connect', 'disconnect'] as const;
/**
 * Podman's compatible API reports `die` but filters on its own name for it, and reports and
 * filters `remove` for Docker's `destroy`; both names are asked for and read as Docker's.
 */
const PODMAN_ACTIONS: ReadonlyMap<string, (typeof CONTAINER_ACTIONS)[number]> = new Map([
  ['died', 'die'],
  ['remove', 'destroy'],
]);

/** Signals that ask a process to shut down; `docker stop` sends the container's (SIGTERM by default). */
const STOP_SIGNALS = new Set([
  '2',
  '3',
  '15',
  'SIGINT',
  'SIGQUIT',
  'SIGTERM',
  'INT',
  'QUIT',
  'TERM',
]);

/**
 * The engine-side filter for `GET /events`, so health-check `exec_*` noise never reaches us.
 * The engine matches `health_status` against `health_status: healthy` and the like.
 */
export const EVENT_FILTERS = {
  type: ['container', 'network'],
  event: [...CONTAINER_ACTIONS, ...PODMAN_ACTIONS.keys(), ...NETWORK_ACTIONS],
};

/**
 * What an event tells the source. Events are hints: the source re-reads the container. Only
 * `ended` (a `die`, `stop` or `destroy`) is taken at its word at once: the container is not
 * running, whatever a re-read can still say (the engine may be going away). `labelled` is
 * known for container events (they carry the labels) and `undefined` for network events.
 * `stopping` says how the event changes the remembered stop state.
 */
export interface EventHint {
  readonly containerId: string;
  readonly action: string;
  readonly labelled: boolean | undefined;
  readonly stopping: 'set' | 'clear' | 'keep';
  readonly ended: boolean;
}

/** Actions after which the container is certainly not running. */
const ENDING_ACTIONS = new Set(['die', 'stop', 'destroy']);

/**
 * Reads one Docker event; `undefined` for events that say nothing about a container we watch.
 * `watches` decides from a container's labels (its event's attributes) whether it is ours.
 */
export function toEventHint(
  event: DockerEvent,
  watches: (labels: Readonly<Record<string, string>>) => boolean,
): EventHint | undefined {
  const reported = (event.Action ?? '').split(':')[0] ?? '';
  const action = PODMAN_ACTIONS.get(reported) ?? reported;
  const attributes = event.Actor?.Attributes ?? {};
  if (event.Type === 'container' && (CONTAINER_ACTIONS as readonly string[]).includes(action)) {
    const containerId = event.Actor?.ID ?? '';
    if (containerId === '') return undefined;
    return {
      containerId,
      action,
      labelled: watches(attributes),
      stopping: toStopping(action, attributes.signal),
      ended: ENDING_ACTIONS.has(action),
    };
  }
  if (event.Type === 'network' && (NETWORK_ACTIONS as readonly string[]).includes(action)) {
    const containerId = attributes.container ?? '';
    return containerId === ''
      ? undefined
      : { containerId, action, labelled: undefined, stopping: 'keep', ended: false };
  }
  return undefined;
}

function toStopping(action: string, signal: string | undefined): EventHint['stopping'] {
  if (action === 'stop') return 'set';
  if (action === 'kill') return STOP_SIGNALS.has(signal ?? '') ? 'set' : 'keep';
  if (action === 'start' || action === 'die' || action === 'destroy') return 'clear';
  return 'keep';
}
