import { describe, expect, it } from 'vitest';
import { PreparedNames } from './prepared.ts';

describe('PreparedNames', () => {
  it('names each statement once, and renames it after 50, 100, 200 runs, saying which name it replaces', () => {
    const names = new PreparedNames();
    const renamedAt: number[] = [];
    let current = names.next('select 1');
    expect(current).toEqual({ name: 'hookline_0' });
    expect(names.next('select 2')).toEqual({ name: 'hookline_1' });
    for (let run = 1; run <= 400; run++) {
      const next = names.next('select 1');
      if (next.name !== current.name) {
        expect(next.replaces).toBe(current.name);
        renamedAt.push(run);
      } else expect(next.replaces).toBeUndefined();
      current = next;
    }
    expect(renamedAt).toEqual([50, 100, 200, 400]);
  });
});
