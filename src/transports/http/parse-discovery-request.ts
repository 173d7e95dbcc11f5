import { clipText, MAX_NODE_ID_LENGTH } from '../../core/clip-text.js';
import { fail, ok, type Result } from '../../core/result.js';
import { CLUSTER_LOAD_ASSIGNMENT_TYPE, type DiscoveryApi } from './discovery-api.js';

/** The parts of Envoy's DiscoveryRequest that decide the answer. */
export interface DiscoveryRequest {
  /** The last version the client accepted; absent on its first poll. */
  readonly versionInfo: string | undefined;
  /** Clusters asked for; Envoy sends exactly one. Empty means "all" (xDS wildcard). */
  readonly resourceNames: readonly string[];
  /** `node.id`: which Envoy asks (for `/status`); `''` when not given. */
  readonly nodeId: string;
}

/**
 * Most cluster names one request may ask for. Envoy asks for one per request; a limit keeps
 * a small request from costing a large answer (each name gets a resource, even unknown ones).
 */
export const MAX_RESOURCE_NAMES = 100;

/** Most problems one answer lists; the rest are counted. */
const MAX_PROBLEMS = 20;

/**
 * Parses the raw body of a `POST /v{2,3}/discovery:endpoints` as proto3 JSON: snake_case or
 * lowerCamel keys, defaults omitted, unknown fields ignored (Envoy adds fields over time).
 * Every wrong-shaped field is reported, by its path (the first 20, then how many more), and
 * more than `MAX_RESOURCE_NAMES` names is refused outright.
 */
export function parseDiscoveryRequest(
  raw: Buffer | undefined,
  api: DiscoveryApi,
): Result<DiscoveryRequest> {
  const text = raw?.toString('utf8') ?? '';
  if (text.trim() === '') return fail(['body: empty; expected a DiscoveryRequest JSON object']);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    return fail([`body: not JSON (${error instanceof Error ? error.message : String(error)})`]);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return fail([`body: expected a DiscoveryRequest JSON object, got ${describe(body)}`]);
  }
  const fields = body as Record<string, unknown>;
  const problems: string[] = [];
  // proto3 JSON: either key spelling, and `null` means "the default" for every field.
  const field = (snake: string, camel: string): [string, unknown] => {
    const [path, value] = snake in fields ? [snake, fields[snake]] : [camel, fields[camel]];
    return [path, value === null ? undefined : value];
  };

  const [versionPath, version] = field('version_info', 'versionInfo');
  if (version !== undefined && typeof version !== 'string') {
    problems.push(`${versionPath}: expected a string, got ${describe(version)}`);
  }

  const [namesPath, names] = field('resource_names', 'resourceNames');
  const resourceNames: string[] = [];
  if (names !== undefined && !Array.isArray(names)) {
    problems.push(`${namesPath}: expected an array of cluster names, got ${describe(names)}`);
  } else if (Array.isArray(names) && names.length > MAX_RESOURCE_NAMES) {
    problems.push(
      `${namesPath}: at most ${MAX_RESOURCE_NAMES} cluster names per request, got ${names.length}`,
    );
  } else {
    (names ?? []).forEach((name: unknown, index) => {
      if (typeof name === 'string' && name !== '') resourceNames.push(name);
      else
        problems.push(
          `${namesPath}[${index}]: expected a non-empty cluster name, got ${describe(name)}`,
        );
    });
  }

  const [typePath, typeUrl] = field('type_url', 'typeUrl');
  const expectedType = CLUSTER_LOAD_ASSIGNMENT_TYPE[api];
  if (typeUrl !== undefined && typeUrl !== '' && typeUrl !== expectedType) {
    problems.push(`${typePath}: this path serves ${expectedType}, got ${describe(typeUrl)}`);
  }

  const [, node] = field('node', 'node');
  if (node !== undefined && (typeof node !== 'object' || node === null || Array.isArray(node))) {
    problems.push(`node: expected an object, got ${describe(node)}`);
  }

  if (problems.length > MAX_PROBLEMS) {
    const more = problems.length - MAX_PROBLEMS;
    return fail([...problems.slice(0, MAX_PROBLEMS), `… and ${more} more problem(s)`]);
  }
  if (problems.length > 0) return fail(problems);
  const id = (node as { id?: unknown } | undefined)?.id;
  return ok({
    versionInfo: version as string | undefined,
    resourceNames,
    nodeId: typeof id === 'string' ? clipText(id, MAX_NODE_ID_LENGTH) : '',
  });
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string')
    return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${value}`;
  return typeof value;
}
