import { describe, expect, it } from 'vitest';

import { quote, QUOTE_LIMIT } from '../../src/core/quote.js';

describe('quote', () => {
  it('quotes short text whole, as JSON', () => {
    expect(quote('http')).toBe('"http"');
    expect(quote('a"b')).toBe('"a\\"b"');
    expect(quote('x'.repeat(QUOTE_LIMIT))).toBe(`"${'x'.repeat(QUOTE_LIMIT)}"`);
  });

  it('cuts long text and says how long it was', () => {
    expect(quote('x'.repeat(QUOTE_LIMIT + 1))).toBe(
      `"${'x'.repeat(QUOTE_LIMIT)}…" (${QUOTE_LIMIT + 1} characters)`,
    );
  });
});
