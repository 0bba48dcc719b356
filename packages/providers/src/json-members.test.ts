import { describe, expect, it } from 'vitest';
import { topLevelMembers } from './json-members.ts';

describe('topLevelMembers', () => {
  it('gives each member’s source text as written, whitespace and escapes included', () => {
    const text = ' {"a" : 1.50 ,\n"b":{"x":[1, "]}"]},\t"c":"q\\"uote\\\\", "d":null,"e":true , "\\u0066":"f"}\r\n';
    expect(Object.fromEntries(topLevelMembers(text) ?? [])).toEqual({
      a: '1.50',
      b: '{"x":[1, "]}"]}',
      c: '"q\\"uote\\\\"',
      d: 'null',
      e: 'true',
      f: '"f"',
    });
  });

  it('reads strings that end in escaped backslashes, and brackets inside strings', () => {
    const text = '{"a":"\\\\","b":"{[\\\\\\"","c":["\\\\\\\\"],"d":2}';
    const members = topLevelMembers(text);
    expect(members?.get('a')).toBe('"\\\\"');
    expect(members?.get('b')).toBe('"{[\\\\\\""');
    expect(members?.get('c')).toBe('["\\\\\\\\"]');
    expect(members?.get('d')).toBe('2');
  });

  it('answers an empty map for {}, null when the top level is not an object, and the last of duplicate keys', () => {
    expect(topLevelMembers(' { } ')?.size).toBe(0);
    expect(topLevelMembers('[1,2]')).toBeNull();
    expect(topLevelMembers('"text"')).toBeNull();
    expect(topLevelMembers('{"a":1,"a":[2]}')?.get('a')).toBe('[2]');
  });

  it('agrees with JSON.parse on every member of random documents', () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const pieces = ['a', '"', '\\', '{', '}', '[', ']', ',', ':', ' ', 'é', '\n', '😀'];
    const randomString = () =>
      Array.from({ length: Math.floor(random() * 6) }, () => pieces[Math.floor(random() * pieces.length)]).join('');
    const value = (depth: number): unknown => {
      const kind = Math.floor(random() * (depth > 3 ? 4 : 6));
      if (kind === 0) return randomString();
      if (kind === 1) return Math.round(random() * 1e6) / 100 - 5000;
      if (kind === 2) return random() < 0.5;
      if (kind === 3) return null;
      if (kind === 4) return Array.from({ length: Math.floor(random() * 4) }, () => value(depth + 1));
      return Object.fromEntries(Array.from({ length: Math.floor(random() * 4) }, () => [randomString(), value(depth + 1)]));
    };
    for (let n = 0; n < 500; n++) {
      const doc = Object.fromEntries(Array.from({ length: 1 + Math.floor(random() * 5) }, () => [randomString(), value(0)]));
      const text = JSON.stringify(doc, null, n % 3 === 0 ? 2 : undefined);
      const members = topLevelMembers(text);
      expect(members && [...members.keys()].sort()).toEqual(Object.keys(doc).sort());
      for (const [key, source] of members ?? []) {
        expect(JSON.parse(source)).toEqual(doc[key]);
        expect(text).toContain(source);
      }
    }
  });
});
