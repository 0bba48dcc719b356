import { describe, expect, it } from 'vitest';
import { idTimeBound, isId, newId } from './ids.ts';

describe('ids', () => {
  it('are well formed, unique across many refills of the random pool, and random in every character', () => {
    const ids = Array.from({ length: 20_000 }, () => newId('event', 1_700_000_000_000));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => isId('event', id))).toBe(true);
    // The 16 random characters take all 32 symbols at every position (a reused or stuck byte would not).
    for (let pos = 14; pos < 30; pos++) expect(new Set(ids.map((id) => id[pos])).size).toBe(32);
  });

  it('sort by time, and a time bound separates before from after', () => {
    const earlier = newId('delivery', 1_700_000_000_000);
    const later = newId('delivery', 1_700_000_000_001);
    expect(earlier < later).toBe(true);
    const bound = idTimeBound('delivery', new Date(1_700_000_000_001));
    expect(earlier < bound && bound <= later).toBe(true);
  });
});
