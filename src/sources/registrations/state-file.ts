import { isObject } from '../../core/is-object.js';
import { parseClusterName } from '../../core/parse-cluster-name.js';
import {
  applyRegistration,
  expireRegistrations,
  type RegistrationChange,
} from '../../core/registrations/apply-registration.js';
import { parseHostJson } from '../../core/registrations/parse-registration.js';
import {
  type HostJson,
  NO_REGISTRATIONS,
  type RegisteredHost,
  type Registrations,
  toHostJson,
  toRegistrations,
} from '../../core/registrations/registered-host.js';
import { fail, ok, type Result } from '../../core/result.js';

// The state file is a journal, one JSON document per line:
//
//   {"version":2,"services":[{"service":"web","hosts":[...]}, ...]}    <- the state when written
//   {"op":"put-host","service":"web","host":{...}}                    <- each change since, in order
//   {"op":"delete-host","service":"web","ip_address":"10.0.0.1","port":80}
//
// A change is one appended line, so it costs O(change); the file is rewritten whole (compacted)
// only now and then. Hosts carry `expires_at` (epoch ms) so TTL deadlines survive restarts.
// Version 1 (one pretty-printed `{"version":1,"services":{...}}`) is still read.

/**
 * The format this agent writes. It reads this one and version 1; a file of a later version
 * (a newer agent's) stops it at start, naming the version, rather than being misread.
 */
export const STATE_FILE_VERSION = 2;

/** A host as the file keeps it: the API's form plus its TTL deadline. */
type StoredHost = HostJson & { expires_at?: number };

/** One line after the first: a change that was applied, and acknowledged once on disk. */
type ChangeLine =
  | { op: 'create' | 'replace'; service: string; hosts: StoredHost[] }
  | { op: 'delete'; service: string }
  | { op: 'put-host'; service: string; host: StoredHost }
  | { op: 'delete-host'; service: string; ip_address: string; port: number };

/** What a state file held, and whether an unfinished last line was left out. */
export interface ParsedStateFile {
  readonly registrations: Registrations;
  /**
   * The last line had no newline: a write cut short by a crash. It was never acknowledged
   * (a change is answered only once its whole line is on disk), so it is left out.
   */
  readonly droppedUnfinishedLine: boolean;
}

/** The first line of a compacted file: every service and its hosts, in registration order. */
export function toSnapshotLine(state: Registrations): string {
  const services = [...state].map(([service, hosts]) => ({
    service,
    hosts: [...hosts.values()].map(toStoredHost),
  }));
  return `${JSON.stringify({ version: STATE_FILE_VERSION, services })}\n`;
}

/** The line that records `change`. */
export function toChangeLine(change: RegistrationChange): string {
  const line: ChangeLine =
    change.kind === 'create' || change.kind === 'replace'
      ? { op: change.kind, service: change.service, hosts: change.hosts.map(toStoredHost) }
      : change.kind === 'put-host'
        ? { op: 'put-host', service: change.service, host: toStoredHost(change.host) }
        : change.kind === 'delete-host'
          ? {
              op: 'delete-host',
              service: change.service,
              ip_address: change.ipAddress,
              port: change.port,
            }
          : { op: 'delete', service: change.service };
  return `${JSON.stringify(line)}\n`;
}

/**
 * Reads a state file's text (`path` only names it in problems; an empty text is a state with
 * no registrations, as from a file not created yet). Every line is checked and
 * replayed; any problem is reported with its line, so the agent never silently starts with
 * less than it acknowledged. Hosts whose TTL ran out by `now` are dropped. Pure.
 */
export function parseStateFile(text: string, path: string, now: number): Result<ParsedStateFile> {
  if (text === '') return ok({ registrations: NO_REGISTRATIONS, droppedUnfinishedLine: false });
  const legacy = parseVersion1(text, path, now);
  if (legacy !== undefined) return legacy;

  const lines = text.split('\n');
  const unfinished = lines.pop() ?? '';
  const [first, ...changes] = lines;
  if (first === undefined) {
    // The first line is written whole (by an atomic rename), so it is never unfinished.
    const problem = jsonProblem(unfinished);
    return fail([
      problem === undefined
        ? notStateFile(path)
        : `${path}: the state file is not valid JSON (${problem})`,
    ]);
  }
  const snapshot = parseSnapshot(first, path, now);
  if (!snapshot.ok) return snapshot;
  let state = snapshot.value;
  const problems: string[] = [];
  changes.forEach((text, index) => {
    const where = `${path}: line ${index + 2}`;
    const change = parseChangeLine(text, where, now);
    if (!change.ok) {
      problems.push(...change.problems);
      return;
    }
    const outcome = applyRegistration(state, change.value);
    if (outcome.ok) state = outcome.state;
    else problems.push(`${where}: cannot be replayed (${outcome.reason})`);
  });
  if (problems.length > 0) return fail(problems.slice(0, 20));
  return ok({
    registrations: expireRegistrations(state, now).state,
    droppedUnfinishedLine: unfinished !== '',
  });
}

/** The whole text as a version 1 file, or `undefined` when it is not one. */
function parseVersion1(
  text: string,
  path: string,
  now: number,
): Result<ParsedStateFile> | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const file = json as { version?: unknown; services?: unknown } | null;
  if (file?.version !== 1) return undefined;
  if (!isObject(file.services)) return fail([notStateFile(path)]);
  const problems: string[] = [];
  const services: [string, RegisteredHost[]][] = [];
  for (const [service, entry] of Object.entries(file.services)) {
    checkService(service, `${path}: services`, problems);
    const hosts = parseHosts(entry, `${path}: services.${service}`, now, problems);
    if (hosts) services.push([service, hosts]);
  }
  if (problems.length > 0) return fail(problems);
  const state = toRegistrations(services);
  return ok({ registrations: expireRegistrations(state, now).state, droppedUnfinishedLine: false });
}

function parseSnapshot(line: string, path: string, now: number): Result<Registrations> {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch (error) {
    return fail([`${path}: the state file is not valid JSON (${(error as Error).message})`]);
  }
  const file = json as { version?: unknown; services?: unknown } | null;
  if (typeof file?.version === 'number' && file.version > STATE_FILE_VERSION)
    return fail([
      `${path}: written by a newer eds-agent (state file version ${file.version}); this one reads versions 1 and ${STATE_FILE_VERSION}: run the newer agent, or start from a copy of the file made before the upgrade`,
    ]);
  if (file?.version !== STATE_FILE_VERSION || !Array.isArray(file.services))
    return fail([notStateFile(path)]);
  const problems: string[] = [];
  const services: [string, RegisteredHost[]][] = [];
  file.services.forEach((entry: unknown, index) => {
    const where = `${path}: services[${index}]`;
    const service = checkService(
      (entry as { service?: unknown } | null)?.service,
      `${where}.service`,
      problems,
    );
    const hosts = parseHosts(entry, where, now, problems);
    if (hosts) services.push([service, hosts]);
  });
  return problems.length > 0 ? fail(problems) : ok(toRegistrations(services));
}

function parseChangeLine(text: string, where: string, now: number): Result<RegistrationChange> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return fail([`${where}: not valid JSON (${(error as Error).message})`]);
  }
  if (!isObject(json)) return fail([`${where}: expected a change object`]);
  const problems: string[] = [];
  const service = checkService(json.service, `${where}.service`, problems);
  let change: RegistrationChange | undefined;
  switch (json.op) {
    case 'create':
    case 'replace': {
      const hosts = parseHosts(json, where, now, problems);
      if (hosts) change = { kind: json.op, service, hosts };
      break;
    }
    case 'delete':
      change = { kind: 'delete', service };
      break;
    case 'put-host': {
      const host = parseStoredHost(json.host, `${where}.host`, now, problems);
      if (host) change = { kind: 'put-host', service, host };
      break;
    }
    case 'delete-host': {
      const address = parseHostJson({ ip_address: json.ip_address, port: json.port }, where, now);
      if (!address.ok) problems.push(...address.problems);
      else change = { kind: 'delete-host', service, ...address.value };
      break;
    }
    default:
      problems.push(`${where}.op: expected create, replace, delete, put-host or delete-host`);
  }
  return problems.length > 0 || change === undefined ? fail(problems) : ok(change);
}

/** The `hosts` of one entry; `undefined` (with problems) when any is invalid. */
function parseHosts(
  entry: unknown,
  where: string,
  now: number,
  problems: string[],
): RegisteredHost[] | undefined {
  const before = problems.length;
  const list: unknown = (entry as { hosts?: unknown } | null)?.hosts;
  if (!Array.isArray(list)) {
    problems.push(`${where}.hosts: expected an array`);
    return undefined;
  }
  const hosts = list.map((host: unknown, index) =>
    parseStoredHost(host, `${where}.hosts[${index}]`, now, problems),
  );
  return problems.length > before ? undefined : hosts.filter((host) => host !== undefined);
}

function parseStoredHost(
  value: unknown,
  where: string,
  now: number,
  problems: string[],
): RegisteredHost | undefined {
  if (!isObject(value)) {
    problems.push(`${where}: expected a host object`);
    return undefined;
  }
  const { expires_at: expiresAt, ...wire } = value;
  if (expiresAt !== undefined && typeof expiresAt !== 'number') {
    problems.push(`${where}.expires_at: expected epoch milliseconds`);
    return undefined;
  }
  const parsed = parseHostJson(wire, where, now);
  if (!parsed.ok) {
    problems.push(...parsed.problems);
    return undefined;
  }
  return { ...parsed.value, expiresAt: expiresAt ?? parsed.value.expiresAt };
}

function checkService(value: unknown, where: string, problems: string[]): string {
  const name = parseClusterName(typeof value === 'string' ? value : '', where);
  if (!name.ok) problems.push(...name.problems);
  return name.ok ? name.value : '';
}

function toStoredHost(host: RegisteredHost): StoredHost {
  return {
    ...toHostJson(host),
    ...(host.expiresAt !== undefined ? { expires_at: host.expiresAt } : {}),
  };
}

function jsonProblem(text: string): string | undefined {
  try {
    JSON.parse(text);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

function notStateFile(path: string): string {
  return `${path}: not an eds-agent state file (expected {"version": ${STATE_FILE_VERSION}, "services": [...]} on its first line)`;
}
