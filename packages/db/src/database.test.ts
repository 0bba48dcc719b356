import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '@hookline/testing';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openDatabase } from './database.ts';
import { EMBEDDED_POSTGRES_MAJOR, EmbeddedDataVersionError } from './pglite-data-dir.ts';

/** A data dir holding a copy of the run's migrated PGlite template (global setup), or nothing. */
function dataDirFromTemplate(): string {
  const dataDir = tempDir();
  const template = process.env.HOOKLINE_TEST_PGLITE_TEMPLATE;
  if (template) cpSync(template, dataDir, { recursive: true });
  return dataDir;
}

describe('openDatabase, embedded', () => {
  it('refuses a data directory made by an older PGlite, saying what to do, and leaves it as it was', async () => {
    // Hookline before PGlite 0.5 embedded PostgreSQL 17; PGlite 0.5 fails on its files with
    // nothing but "PGlite failed to initialize properly".
    const dataDir = tempDir();
    const dir = join(dataDir, 'pglite');
    mkdirSync(join(dir, 'base'), { recursive: true });
    writeFileSync(join(dir, 'PG_VERSION'), '17\n');

    const opening = openDatabase({ dataDir });
    await expect(opening).rejects.toThrow(EmbeddedDataVersionError);
    const message = await opening.catch((err: Error) => err.message);
    expect(message).toContain(`the embedded database in ${dir} was made by an older Hookline (PostgreSQL 17)`);
    expect(message).toContain(`this Hookline embeds PostgreSQL ${EMBEDDED_POSTGRES_MAJOR}`);
    expect(message).toContain(`mv ${dir} ${dir}-pg17`);
    expect(message).not.toContain('\n'); // the server prints it as its one line
    expect(readdirSync(dir).sort()).toEqual(['PG_VERSION', 'base']);
    expect(readFileSync(join(dir, 'PG_VERSION'), 'utf8')).toBe('17\n');
  });

  it('refuses a directory of something else rather than running initdb into it', async () => {
    const dataDir = tempDir();
    mkdirSync(join(dataDir, 'pglite'));
    writeFileSync(join(dataDir, 'pglite', 'notes.txt'), 'not a database');
    await expect(openDatabase({ dataDir })).rejects.toThrow(/has no PG_VERSION file/);
  });

  it(`creates a new database (PostgreSQL ${EMBEDDED_POSTGRES_MAJOR}) and opens it with a small shared_buffers and ANALYZE sample`, async () => {
    const dataDir = tempDir();
    const handle = await openDatabase({ dataDir, migrate: false });
    try {
      const { rows } = await sql<{ shared_buffers: string; major: string; statistics: string }>`
        select current_setting('shared_buffers') as shared_buffers, current_setting('server_version_num')::int / 10000 || '' as major,
          current_setting('default_statistics_target') as statistics
      `.execute(handle.db);
      expect(rows[0]).toEqual({ shared_buffers: '16MB', major: EMBEDDED_POSTGRES_MAJOR, statistics: '10' });
    } finally {
      await handle.close();
    }
    // Made beside its place and renamed into it: nothing else is left in the data dir.
    expect(readdirSync(dataDir)).toEqual(['pglite']);
    expect(readFileSync(join(dataDir, 'pglite', 'PG_VERSION'), 'utf8').trim()).toBe(EMBEDDED_POSTGRES_MAJOR);
  });

  it('takes shared_buffers from its options (HOOKLINE_PGLITE_SHARED_BUFFERS)', async () => {
    const handle = await openDatabase({ dataDir: dataDirFromTemplate(), pgliteSharedBuffers: 32 * 1024 * 1024 });
    try {
      const { rows } = await sql<{ value: string }>`select current_setting('shared_buffers') as value`.execute(handle.db);
      expect(rows[0]?.value).toBe('32MB');
    } finally {
      await handle.close();
    }
  });
});
