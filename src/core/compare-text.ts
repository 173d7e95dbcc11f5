/** Strings by code unit, never by locale: the one order of names, domains and claims. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
