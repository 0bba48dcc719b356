import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { migrateToLatest, openDatabase } from '@hookline/db';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { dropDatabase, recreateDatabase } from './databases.ts';
import { REPO_ROOT } from './process.ts';

/**
 * Compiles the server to dist/ (`npm run build`'s TypeScript part), which the started
 * processes run (process.ts, ENTRY). Incremental: a second of checking when nothing changed.
 */
async function buildServer(): Promise<void> {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  try {
    await promisify(execFile)(process.execPath, [tsc, '-b', 'tsconfig.build.json'], { cwd: REPO_ROOT, maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    const { stdout = '', stderr = '' } = err as { stdout?: string; stderr?: string };
    throw new Error(`building the server for the started processes failed (tsc -b tsconfig.build.json):\n${stdout}${stderr}`);
  }
}

/**
 * Once per run: the server built (buildServer), a migrated template database that each test
 * file clones, and a migrated embedded data directory that each embedded test copies (a fresh
 * PGlite directory costs seconds of CPU: initdb, then every migration); both removed after.
 */
export default async function setup(project?: { onTestsRerun(rerun: () => Promise<void>): void }) {
  await buildServer();
  // Watch mode reruns tests without running this setup again: rebuild before each rerun, so
  // started processes run the code as edited (the bench calls setup without a project).
  project?.onTestsRerun(buildServer);
  // Every tempDir() of the run goes in here (test files run in workers started after this,
  // which inherit the environment), and goes with it.
  const runRoot = mkdtempSync(join(tmpdir(), 'hookline-test-run-'));
  process.env.HOOKLINE_TEST_TMP_ROOT = runRoot;
  const pgliteTemplate = mkdtempSync(join(runRoot, 'pglite-template-'));
  await (await openDatabase({ dataDir: pgliteTemplate })).close();
  process.env.HOOKLINE_TEST_PGLITE_TEMPLATE = pgliteTemplate;

  const template = `hookline_test_template_${process.pid}`;
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
    rmSync(runRoot, { recursive: true, force: true });
    delete process.env.HOOKLINE_TEST_TMP_ROOT;
  };
}
