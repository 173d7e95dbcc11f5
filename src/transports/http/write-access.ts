/**
 * Who may call the registration API's writes (`POST`, `PUT`, `DELETE` of `/edsservice`):
 * - `token`: whoever shows the admin token;
 * - `open`: anyone, because the agent listens on loopback only, or because the operator said
 *   `--insecure-open-writes`;
 * - `closed`: no one: the agent listens beyond loopback and has no token (Redis's protected
 *   mode), so a write would let anyone on the network reroute a public route;
 * - `read-only`: no one, by choice (`--read-only`).
 */
export type WriteAccess =
  | { readonly kind: 'token'; readonly token: string }
  | { readonly kind: 'open'; readonly because: 'loopback' | 'insecure-open-writes' }
  | { readonly kind: 'closed'; readonly bind: string }
  | { readonly kind: 'read-only' };

export interface WriteSettings {
  readonly bind: string;
  readonly adminToken: string | undefined;
  readonly readOnly: boolean;
  readonly insecureOpenWrites: boolean;
}

/** The access the settings give; a token wins over `--insecure-open-writes`. */
export function toWriteAccess(settings: WriteSettings): WriteAccess {
  if (settings.readOnly) return { kind: 'read-only' };
  if (settings.adminToken !== undefined) return { kind: 'token', token: settings.adminToken };
  if (settings.insecureOpenWrites) return { kind: 'open', because: 'insecure-open-writes' };
  if (isLoopback(settings.bind)) return { kind: 'open', because: 'loopback' };
  return { kind: 'closed', bind: settings.bind };
}

/** The refusal of a write while writes are closed: why, and the flags that open them. */
export function describeClosedWrites(bind: string): string {
  return `writes are closed: the agent listens on ${bind} with no admin token, so anyone who can reach it could reroute traffic; set --admin-token-file (or --admin-token), listen on loopback (--bind 127.0.0.1), or for a demo only --insecure-open-writes`;
}

/** `127.0.0.0/8` or `::1`: an address only this machine reaches. */
export function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.');
}
