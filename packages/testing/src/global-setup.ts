import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrateToLatest, openDatabase } from '@hookline/db';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { dropDatabase, recreateDatabase } from './databases.ts';

/**
 * Once per run: a migrated template database that each test file clones, and a migrated
 * embedded data directory that each embedded test copies (a fresh PGlite directory costs
 * seconds of CPU: initdb, then every migration); both removed after.
 */
export default async function setup() {
  const pgliteTemplate = mkdtempSync(join(tmpdir(), 'hookline-pglite-template-'));
  await (await openDatabase({ dataDir: pgliteTemplate })).close();
  process.env.HOOKLINE_TEST_PGLITE_TEMPLATE = pgliteTemplate;

  const template = `hookline_test_template_${process.pid}`;
  // Test files run in workers started after this, which inherit the environment.
  process.env.HOOKLINE_TEST_TEMPLATE = template;
  const url = await recreateDatabase(template);
  const db = new Kysely<any>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1 }) }) });
  try {
    await migrateToLatest(db);
  } finally {
    await db.destroy();
  }
  return async () => {
    await dropDatabase(template);
    rmSync(pgliteTemplate, { recursive: true, force: true });
  };
}
