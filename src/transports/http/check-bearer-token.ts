import { createHash, timingSafeEqual } from 'node:crypto';

import type { Request } from 'express';

/**
 * A check that a request carries `Authorization: Bearer <token>`, compared in constant time
 * (both sides are hashed to the same length first), so a guess takes as long as any other.
 */
export function createBearerCheck(token: string): (req: Request) => boolean {
  const expected = digest(token);
  return (req) => {
    const [scheme, given] = (req.headers.authorization ?? '').split(' ');
    return scheme === 'Bearer' && given !== undefined && timingSafeEqual(digest(given), expected);
  };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
