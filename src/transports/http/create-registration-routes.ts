import type { IncomingMessage } from 'node:http';

import express, { type Request } from 'express';

import { type Snapshot, toClusterResource } from '../../core/index/snapshot.js';
import { parseClusterName } from '../../core/parse-cluster-name.js';
import type {
  RegistrationChange,
  RegistrationOutcome,
  RegistrationResult,
} from '../../core/registrations/apply-registration.js';
import {
  parseHostKey,
  parseHostsBody,
  parseHostUpdate,
} from '../../core/registrations/parse-registration.js';
import {
  type HostJson,
  type RegisteredHost,
  type Registrations,
  type ServiceHosts,
  toHostJson,
  toHostKey,
} from '../../core/registrations/registered-host.js';
import { toSdsHosts } from '../../core/registrations/to-registered-endpoints.js';
import { fail, ok, type Result } from '../../core/result.js';
import { createBearerCheck } from './check-bearer-token.js';
import { type Handler, route } from './route.js';
import { type HttpOutcome, sendOutcome } from './send-outcome.js';
import { describeClosedWrites, type WriteAccess } from './write-access.js';

/** What the routes need of the registrations (the registration source is one). */
export interface RegistrationBook {
  /** The registrations, every change of them kept. */
  current(): Registrations;
  /** Applies one change, answering once it is kept, or why it is not applied. */
  apply(change: RegistrationChange): Promise<RegistrationResult>;
}

export interface RegistrationRoutesOptions {
  readonly registrations: RegistrationBook;
  readonly snapshot: () => Snapshot;
  /** Who may make mutating calls (see `WriteAccess`). */
  readonly writes: WriteAccess;
  readonly bodyLimitBytes: number;
  /** Whether a request may read the registrations (`--protect-status` asks for the token). */
  readonly mayRead: (req: IncomingMessage) => boolean;
  readonly now?: () => number;
}

/**
 * The tutorial's registration API (`/edsservice/<service>`), per-host heartbeats
 * (`/edsservice/<service>/hosts/<ip>:<port>`) and the v1 SDS read (`/v1/registration/<service>`).
 * Handlers turn requests into RegistrationChanges and outcomes; nothing here knows about files.
 */
export function addRegistrationRoutes(
  app: express.Express,
  options: RegistrationRoutesOptions,
): void {
  const { registrations, snapshot } = options;
  const now = options.now ?? Date.now;
  const guard = guardMutation(options);
  const readGuard: Handler = (req, res, next) => {
    if (options.mayRead(req)) next();
    else sendOutcome(res, { kind: 'unauthorized' });
  };
  const body = express.raw({ type: () => true, limit: options.bodyLimitBytes });

  /** Applies a change and maps a refusal to its status; `ok` maps the success. */
  const apply = async (
    change: RegistrationChange,
    ok: (result: Applied['result']) => HttpOutcome,
  ): Promise<HttpOutcome> => {
    const outcome = await registrations.apply(change);
    return outcome.ok ? ok(outcome.result) : refused(change, outcome);
  };
  /** POST creates, PUT replaces: the same parsing, another change and status. */
  const writeService = (kind: 'create' | 'replace', status: 200 | 201): Handler[] => [
    guard,
    body,
    answer(async (req) => {
      const parsed = parseService(req, now());
      if (!parsed.ok) return { kind: 'bad-request', problems: parsed.problems };
      return apply({ kind, ...parsed.value }, () => ({
        kind: 'json',
        status,
        body: hostsOf(parsed.value.service),
      }));
    }),
  ];
  const hostsOf = (service: string): string =>
    JSON.stringify({ hosts: toHostsJson(registrations.current().get(service)) });

  route(app, '/edsservice', {
    get: [
      readGuard,
      answer(() => {
        const services = Object.fromEntries(
          [...registrations.current()].map(([service, hosts]) => [
            service,
            { hosts: toHostsJson(hosts) },
          ]),
        );
        return { kind: 'json', body: JSON.stringify({ services }) };
      }),
    ],
  });

  route(app, '/edsservice/:service', {
    get: [
      readGuard,
      answer((req) => {
        const service = param(req, 'service');
        return registrations.current().has(service)
          ? { kind: 'json', body: hostsOf(service) }
          : noSuchService(service);
      }),
    ],
    post: writeService('create', 201),
    put: writeService('replace', 200),
    delete: [
      guard,
      answer((req) =>
        apply({ kind: 'delete', service: param(req, 'service') }, () => ({ kind: 'no-content' })),
      ),
    ],
  });

  route(app, '/edsservice/:service/hosts/:host', {
    put: [
      guard,
      body,
      answer(async (req) => {
        const put = parseHostPut(req, now());
        if (!put.ok) return { kind: 'bad-request', problems: put.problems };
        const { service, host } = put.value;
        return apply({ kind: 'put-host', service, host }, (result) => ({
          kind: 'json',
          status: result === 'created' ? 201 : 200,
          body: JSON.stringify(toHostJson(host)),
        }));
      }),
    ],
    delete: [
      guard,
      answer(async (req) => {
        const key = parseHostKey(param(req, 'host'));
        if (!key.ok) return { kind: 'bad-request', problems: key.problems };
        return apply({ kind: 'delete-host', service: param(req, 'service'), ...key.value }, () => ({
          kind: 'no-content',
        }));
      }),
    ],
  });

  route(app, '/v1/registration/:service', {
    get: [
      readGuard,
      answer((req) => {
        const current = snapshot();
        if (current.awaiting.length > 0) return { kind: 'not-synced', awaiting: current.awaiting };
        const resource = toClusterResource(current, param(req, 'service'));
        return { kind: 'json', body: JSON.stringify(toSdsHosts(resource.endpoints)) };
      }),
    ],
  });
}

type Applied = RegistrationOutcome & { ok: true };

/** A handler that computes an outcome; `sendOutcome` writes it. */
function answer(compute: (req: Request) => HttpOutcome | Promise<HttpOutcome>): Handler {
  return async (req, res) => {
    sendOutcome(res, await compute(req));
  };
}

/**
 * Read-only → 405; closed (beyond loopback, no token) → 403 naming the flags that open it;
 * missing or wrong token → 401; a body that is not JSON-typed → 415.
 */
function guardMutation({ writes }: RegistrationRoutesOptions): Handler {
  const authorized = writes.kind === 'token' ? createBearerCheck(writes.token) : () => true;
  const refusal = (req: Request): HttpOutcome | undefined => {
    if (writes.kind === 'read-only') return { kind: 'method-not-allowed', allow: ['GET', 'HEAD'] };
    if (writes.kind === 'closed')
      return { kind: 'forbidden', message: describeClosedWrites(writes.bind) };
    if (!authorized(req)) return { kind: 'unauthorized' };
    const hasBody =
      Number(req.headers['content-length'] ?? 0) > 0 ||
      req.headers['transfer-encoding'] !== undefined;
    if (hasBody && req.is(['application/json', '+json']) === false) {
      return {
        kind: 'unsupported-media-type',
        message: 'the body must be JSON (Content-Type: application/json)',
      };
    }
    return undefined;
  };
  return (req, res, next) => {
    const outcome = refusal(req);
    if (outcome) sendOutcome(res, outcome);
    else next();
  };
}

/** The service name in the path and the `{"hosts": [...]}` body, with every problem of both. */
function parseService(
  req: Request,
  now: number,
): Result<{ service: string; hosts: RegisteredHost[] }> {
  const service = parseClusterName(param(req, 'service'), 'path: service');
  const json = parseJson(req);
  const hosts = json.ok ? parseHostsBody(json.value ?? null, now) : json;
  if (service.ok && hosts.ok) return ok({ service: service.value, hosts: hosts.value });
  return fail([service, hosts].flatMap((result) => (result.ok ? [] : result.problems)));
}

/** The raw body as JSON; `undefined` when there is none. */
function parseJson(req: Request): Result<unknown> {
  const raw = req.body as Buffer | undefined;
  const text = raw?.toString('utf8') ?? '';
  if (text.trim() === '') return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, problems: [`body: not JSON (${(error as Error).message})`] };
  }
}

function refused(
  change: RegistrationChange,
  result: RegistrationResult & { ok: false },
): HttpOutcome {
  switch (result.reason) {
    case 'address-refused':
    case 'docker-owned':
      return { kind: 'forbidden', message: result.message };
    case 'over-limit':
      return { kind: 'over-limit', message: result.message };
    case 'too-large':
      return { kind: 'too-large', message: result.message };
    case 'not-saved':
      return { kind: 'not-saved', message: result.message };
    case 'exists':
      return {
        kind: 'conflict',
        message: `service ${JSON.stringify(change.service)} is already registered; PUT replaces its hosts`,
      };
    case 'no-such-service':
      return noSuchService(change.service);
    case 'no-such-host':
      return {
        kind: 'no-such-resource',
        message: `service ${JSON.stringify(change.service)} has no host ${change.kind === 'delete-host' ? toHostKey(change) : ''}`,
      };
  }
}

/** A service's hosts in the API's form, in registration order (none for an unknown service). */
function toHostsJson(hosts: ServiceHosts | undefined): HostJson[] {
  return hosts ? [...hosts.values()].map(toHostJson) : [];
}

function noSuchService(service: string): HttpOutcome {
  return { kind: 'no-such-resource', message: `no registered service ${JSON.stringify(service)}` };
}

function param(req: Request, name: string): string {
  const value: unknown = req.params[name];
  return typeof value === 'string' ? value : '';
}

/** `PUT /edsservice/:service/hosts/:host`: the service, and the host its path and body say. */
function parseHostPut(
  req: Request,
  now: number,
): Result<{ service: string; host: RegisteredHost }> {
  const service = parseClusterName(param(req, 'service'), 'path: service');
  const key = parseHostKey(param(req, 'host'));
  const json = parseJson(req);
  if (!service.ok || !key.ok || !json.ok)
    return fail([service, key, json].flatMap((r) => (r.ok ? [] : r.problems)));
  const host = parseHostUpdate(json.value, key.value.ipAddress, key.value.port, now);
  return host.ok ? ok({ service: service.value, host: host.value }) : host;
}
