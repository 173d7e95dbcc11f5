import { fail, ok, type Result } from '../result.js';

/** Labels naming a container's compose project, and a Swarm service's stack. */
export const PROJECT_LABELS = ['com.docker.compose.project', 'com.docker.stack.namespace'] as const;

/**
 * One test of a container's labels (`--constraint`), in `docker ps --filter`'s words:
 * `label=<key>` (the label is set), `label=<key>=<value>` (set to that value),
 * `label!=<key>` (not set), `label!=<key>=<value>` (not set to that value), and
 * `project=<name>` (its compose project or Swarm stack is `name`).
 */
export type ContainerConstraint =
  | {
      readonly kind: 'label';
      readonly key: string;
      readonly value?: string;
      readonly negated: boolean;
    }
  | { readonly kind: 'project'; readonly name: string };

const FORMS =
  '`label=<key>`, `label=<key>=<value>`, `label!=<key>`, `label!=<key>=<value>` or `project=<name>`';

/** A constraint from its text (see `ContainerConstraint`); a problem naming the forms otherwise. */
export function parseConstraint(text: string): Result<ContainerConstraint> {
  const trimmed = text.trim();
  const project = /^project=(.+)$/.exec(trimmed);
  if (project?.[1] !== undefined) return ok({ kind: 'project', name: project[1] });
  const label = /^label(!?)=([^=]+)(?:=(.*))?$/.exec(trimmed);
  if (label?.[2] === undefined)
    return fail([`${JSON.stringify(text)} is not a constraint: expected ${FORMS}`]);
  return ok({
    kind: 'label',
    key: label[2],
    negated: label[1] === '!',
    ...(label[3] === undefined ? {} : { value: label[3] }),
  });
}

/** The constraint as its text, for messages. */
export function describeConstraint(constraint: ContainerConstraint): string {
  if (constraint.kind === 'project') return `project=${constraint.name}`;
  const value = constraint.value === undefined ? '' : `=${constraint.value}`;
  return `label${constraint.negated ? '!' : ''}=${constraint.key}${value}`;
}

/** The first of `constraints` that `labels` fail, or `undefined` when all hold. Pure. */
export function findFailedConstraint(
  labels: Readonly<Record<string, string>>,
  constraints: readonly ContainerConstraint[],
): ContainerConstraint | undefined {
  return constraints.find((constraint) => !holds(labels, constraint));
}

function holds(labels: Readonly<Record<string, string>>, constraint: ContainerConstraint): boolean {
  if (constraint.kind === 'project')
    return PROJECT_LABELS.some((key) => labels[key] === constraint.name);
  const actual = Object.hasOwn(labels, constraint.key) ? labels[constraint.key] : undefined;
  const matches =
    constraint.value === undefined ? actual !== undefined : actual === constraint.value;
  return matches !== constraint.negated;
}
