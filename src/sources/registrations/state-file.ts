import { open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

import { parseClusterName } from '../../core/parse-cluster-name.js';
import { parseHostJson } from '../../core/parse-registration.js';
import type { RegisteredHost, Registrations } from '../../core/registered-host.js';
import { toHostJson } from '../../core/registered-host.js';
import { fail, ok, type Result } from '../../core/result.js';

/** The file's format; `expires_at` (epoch ms) keeps a TTL host's deadline across restarts. */
interface StateFileJson {
  version: 1;
  services: Record<string, { hosts: (ReturnType<typeof toHostJson> & { expires_at?: number })[] }>;
}

/**
 * Reads the registrations saved by `writeStateFile`. A missing file means "none yet"; a file
 * that cannot be read or parsed, or holds an invalid entry, is an error naming the problem,
 * so the agent never silently starts empty. Hosts whose TTL ran out while stopped are dropped.
 */
export async function readStateFile(path: string, now: number): Promise<Result<Registrations>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return ok(new Map());
    return fail([`${path}: cannot read the state file (${(error as Error).message})`]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return fail([`${path}: the state file is not valid JSON (${(error as Error).message})`]);
  }
  const file = json as Partial<StateFileJson> | null;
  if (file?.version !== 1 || typeof file.services !== 'object') {
    return fail([
      `${path}: not an eds-agent state file (expected {"version": 1, "services": {...}})`,
    ]);
  }
  const problems: string[] = [];
  const state = new Map<string, RegisteredHost[]>();
  for (const [service, entry] of Object.entries(file.services)) {
    const name = parseClusterName(service, `${path}: services`);
    if (!name.ok) problems.push(...name.problems);
    const hosts: RegisteredHost[] = [];
    const hostList: unknown = (entry as { hosts?: unknown } | null)?.hosts;
    if (!Array.isArray(hostList)) {
      problems.push(`${path}: services.${service}.hosts: expected an array`);
      continue;
    }
    (hostList as StateFileJson['services'][string]['hosts']).forEach((host, index) => {
      const { expires_at: expiresAt, ...wire } = host;
      const parsed = parseHostJson(wire, `${path}: services.${service}.hosts[${index}]`, now);
      if (!parsed.ok) problems.push(...parsed.problems);
      else if (expiresAt === undefined || expiresAt > now)
        hosts.push({ ...parsed.value, expiresAt });
    });
    state.set(service, hosts);
  }
  return problems.length > 0 ? fail(problems) : ok(state);
}

let sequence = 0;

/**
 * Replaces the state file atomically and durably: the new content goes to a temporary file in
 * the same directory, which is fsynced, renamed over the old file, and the directory fsynced.
 * A crash at any moment leaves either the old file or the new one, never a mix.
 */
export async function writeStateFile(path: string, state: Registrations): Promise<void> {
  const json: StateFileJson = { version: 1, services: {} };
  for (const [service, hosts] of state) {
    json.services[service] = {
      hosts: hosts.map((host) => ({
        ...toHostJson(host),
        ...(host.expiresAt !== undefined ? { expires_at: host.expiresAt } : {}),
      })),
    };
  }
  sequence += 1;
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${sequence}.tmp`);
  const file = await open(temporary, 'w', 0o600);
  try {
    await file.writeFile(`${JSON.stringify(json, null, 2)}\n`);
    await file.sync();
  } finally {
    await file.close();
  }
  try {
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  const directory = await open(dirname(path), 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}
