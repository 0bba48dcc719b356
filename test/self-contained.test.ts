import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { REPO_ROOT } from '@hookline/testing';
import { expect, it } from 'vitest';

/**
 * A clone with nothing beside it must install, start and pass its tests, so no tracked file
 * may point above the repository root: relative paths ("../../x", resolved from the file's
 * own folder, as imports, `new URL(…, import.meta.url)`, Ruby's `__dir__` and Markdown links
 * are) and joins onto the root (`join(REPO_ROOT, '..')`).
 */
it('no tracked file refers to a path above the repository root', () => {
  const files = execFileSync('git', ['ls-files'], { cwd: REPO_ROOT, encoding: 'utf8' })
    .split('\n')
    .filter((f) => /\.(ts|tsx|js|mjs|cjs|rb|md|json|sh|yml|yaml)$|^\.ci\//.test(f))
    // The lock lists package paths, not files; this test quotes the patterns it looks for.
    .filter((f) => !f.endsWith('package-lock.json') && f !== 'test/self-contained.test.ts');
  const outside: string[] = [];
  for (const file of files) {
    const text = readFileSync(join(REPO_ROOT, file), 'utf8');
    for (const match of text.matchAll(/(?<![\w/.])((?:\.\.\/)+)([\w@.-]*)/g)) {
      const target = resolve(REPO_ROOT, dirname(file), `${match[1]}${match[2]}`);
      if (relative(REPO_ROOT, target).startsWith('..')) outside.push(`${file}: ${match[0]}`);
    }
    for (const match of text.matchAll(/REPO_ROOT,\s*['"]\.\.['"]/g)) outside.push(`${file}: ${match[0]}`);
  }
  expect(outside).toEqual([]);
});
