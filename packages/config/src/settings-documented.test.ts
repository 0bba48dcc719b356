import { readFileSync } from 'node:fs';
import { tempDir } from '@hookline/testing';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './index.ts';

// Every environment variable the config module reads has a row in the README's configuration
// table, and the table names none it does not read.
const ROOT = new URL('../../../', import.meta.url);
const SETTING = /^(HOOKLINE_[A-Z0-9_]+|PORT|HOST|DATABASE_URL|REDIS_URL|LOG_LEVEL|OTEL_[A-Z0-9_]+)$/;

/** Names the config module reads: every quoted setting name in its source, and every name loadConfig asks for. */
function namesConfigReads(): Set<string> {
  const source = readFileSync(new URL('packages/config/src/index.ts', ROOT), 'utf8');
  const names = new Set<string>();
  for (const [, name] of source.matchAll(/['"`]([A-Z][A-Z0-9_]*)['"`]/g)) if (name && SETTING.test(name)) names.add(name);
  for (const [, name] of source.matchAll(/\benv(?:\.([A-Z][A-Z0-9_]*)|\[['"`]([A-Z][A-Z0-9_]*)['"`]\])/g)) {
    if (name && SETTING.test(name)) names.add(name);
  }
  // And at run time: whatever loadConfig looks up in the environment it is given.
  const dataDir = tempDir();
  const env = new Proxy({} as Record<string, string | undefined>, {
    get(_, key) {
      if (typeof key === 'string' && SETTING.test(key)) names.add(key);
      return key === 'HOOKLINE_DATA_DIR' ? dataDir : undefined;
    },
  });
  loadConfig(env);
  return names;
}

/** The first cell of each row of the README's table under "## Configuration": its `NAMES`. */
function namesReadmeDocuments(): Set<string> {
  const readme = readFileSync(new URL('README.md', ROOT), 'utf8');
  const section = readme.split(/^## Configuration$/m)[1]?.split(/^## /m)[0];
  if (!section) throw new Error('README.md has no "## Configuration" section');
  const names = new Set<string>();
  for (const line of section.split('\n')) {
    const firstCell = /^\|([^|]*)\|/.exec(line)?.[1];
    if (!firstCell) continue;
    for (const [, name] of firstCell.matchAll(/`([^`]+)`/g)) if (name) names.add(name);
  }
  return names;
}

describe('settings documentation', () => {
  const read = namesConfigReads();
  const documented = namesReadmeDocuments();

  it('finds the settings (the scan works)', () => {
    expect(read.size).toBeGreaterThan(20);
    expect(read).toContain('DATABASE_URL');
    expect(read).toContain('HOOKLINE_SIGNUP');
  });

  it('documents every setting the config module reads', () => {
    expect([...read].filter((name) => !documented.has(name)).sort()).toEqual([]);
  });

  it('documents no setting the config module does not read', () => {
    expect([...documented].filter((name) => !read.has(name)).sort()).toEqual([]);
  });
});
