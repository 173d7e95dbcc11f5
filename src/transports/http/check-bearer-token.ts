import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * A check that a request carries `Authorization: Bearer <token>` (the scheme in any case, as
 * RFC 7235 has it), compared in constant time (both sides are hashed to the same length
 * first), so a guess takes as long as any other.
 */
export function createBearerCheck(token: string): (req: IncomingMessage) => boolean {
  const expected = digest(token);
  return (req) => {
    const given = /^bearer +(\S+) *$/i.exec(req.headers.authorization ?? '')?.[1];
    return given !== undefined && timingSafeEqual(digest(given), expected);
  };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
