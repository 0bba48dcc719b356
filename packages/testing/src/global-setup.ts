import { migrateToLatest } from '@hookline/db';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { recreateDatabase, TEMPLATE_DB } from './databases.ts';

/** Once per run: a migrated template database that each test file clones. */
export default async function setup() {
  const url = await recreateDatabase(TEMPLATE_DB);
  const db = new Kysely<any>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1 }) }) });
  try {
    await migrateToLatest(db);
  } finally {
    await db.destroy();
  }
}
