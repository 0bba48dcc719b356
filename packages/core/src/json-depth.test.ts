import { describe, expect, it } from 'vitest';
import { jsonDepth } from './json-depth.ts';

describe('jsonDepth', () => {
  it('counts nested arrays and objects, not brackets inside strings', () => {
    expect(jsonDepth('1')).toBe(0);
    expect(jsonDepth('"[{["')).toBe(0);
    expect(jsonDepth('[]')).toBe(1);
    expect(jsonDepth('{"a":[1,{"b":"]]]}}}"}],"c":{}}')).toBe(3);
    expect(jsonDepth('{"a\\"[[":"\\\\","b":[[[]]]}')).toBe(4);
    expect(jsonDepth('[[],[[]],[]]')).toBe(3);
  });

  it('reads 100,000 levels without recursion, and stops past a limit', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    expect(jsonDepth(deep)).toBe(100_000);
    expect(jsonDepth(deep, 64)).toBe(65);
    expect(jsonDepth('[[1]]', 2)).toBe(2);
  });
});
