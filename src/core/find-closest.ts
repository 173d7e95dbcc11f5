/** Names longer than this get no suggestion: a typo is short, and the cost is quadratic. */
const MAX_NAME_LENGTH = 200;

/**
 * The candidate closest to `name` by edit distance, if it is at most `maxDistance` away and no
 * more than half of `name`'s length (a typo, usually, not another word: `api` is not a typo of
 * `tls`): for "did you mean …?" hints. Ties go to the first candidate. Pure.
 */
export function findClosest(
  name: string,
  candidates: readonly string[],
  maxDistance = 3,
): string | undefined {
  if (name.length > MAX_NAME_LENGTH) return undefined;
  maxDistance = Math.min(maxDistance, Math.max(1, Math.floor(name.length / 2)));
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(name, candidate);
    if (distance <= maxDistance && (best === undefined || distance < best.distance))
      best = { candidate, distance };
  }
  return best?.candidate;
}

/** Levenshtein distance: the fewest one-character insertions, deletions or changes from a to b. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
