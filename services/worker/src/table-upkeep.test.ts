import { describe, expect, it } from 'vitest';
import { upkeepRun } from './table-upkeep.ts';

describe('upkeepRun', () => {
  it('embedded: vacuums every run, with the index pass every tenth', () => {
    const runs = Array.from({ length: 20 }, (_, i) => upkeepRun(i + 1, true));
    expect(runs.every((r) => r.vacuum === 'all')).toBe(true);
    expect(runs.flatMap((r, i) => (r.indexPass ? [i + 1] : []))).toEqual([10, 20]);
  });

  it('PostgreSQL: vacuums every sixth check (a minute), with the index pass every tenth vacuum', () => {
    const runs = Array.from({ length: 120 }, (_, i) => upkeepRun(i + 1, false));
    expect(runs.flatMap((r, i) => (r.vacuum === 'unattended' ? [i + 1] : [])).slice(0, 3)).toEqual([6, 12, 18]);
    expect(runs.filter((r) => r.vacuum === 'none').every((r) => !r.indexPass)).toBe(true);
    expect(runs.flatMap((r, i) => (r.indexPass ? [i + 1] : []))).toEqual([60, 120]);
  });
});
