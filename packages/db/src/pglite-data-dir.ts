import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { STATISTICS_TARGET } from './statistics-target.ts';

/** The PostgreSQL major version of the PGlite that Hookline embeds (@electric-sql/pglite 0.5: PostgreSQL 18). */
export const EMBEDDED_POSTGRES_MAJOR = '18';

/** PGlite's shared_buffers unless HOOKLINE_PGLITE_SHARED_BUFFERS says otherwise. */
export const DEFAULT_PGLITE_SHARED_BUFFERS = 16 * 1024 * 1024;

/** An embedded data directory this Hookline cannot open: its message says what to do. */
export class EmbeddedDataVersionError extends Error {}

/**
 * PGlite's settings on its command line (`postgres -c`): they win over postgresql.conf and
 * leave it as initdb wrote it (PGlite's `postgresqlconf` option would replace the whole
 * file, and with it initdb's timezone and default_text_search_config). shared_buffers:
 * PGlite's own default is PostgreSQL's 128MB, which PostgreSQL touches whole at start and
 * was most of an embedded process's RSS; a webhook relay's working set is the recent rows
 * and their indexes, and 16MB cost no throughput in the bench (README, "Performance").
 * default_statistics_target: STATISTICS_TARGET (statistics-target.ts), whose analyses hold
 * PGlite's one thread for a quarter of the time PostgreSQL's default would.
 * PGliteThread adds them to PGlite's default start parameters, on its thread.
 */
export function pgliteSettings(sharedBuffersBytes: number): string[] {
  return [
    '-c',
    `shared_buffers=${Math.max(128, Math.floor(sharedBuffersBytes / 1024))}kB`,
    '-c',
    `default_statistics_target=${STATISTICS_TARGET}`,
  ];
}

/**
 * Checks that `dir` holds a database of the PostgreSQL that Hookline embeds, or creates one.
 *
 * A data directory is only ever opened by the PostgreSQL major version that made it, and
 * PGlite fails on another one with nothing but "PGlite failed to initialize properly".
 *
 * A new one is made in a child process: PGlite 0.5 runs initdb as a second WebAssembly
 * instance, which takes about 800 MB at its peak and leaves the process (its database thread) some 150 MB larger
 * for good (memory a WebAssembly instance has touched is never returned), where reopening
 * an existing directory does not. It is made beside `dir` and renamed into place, so a
 * creation cut short leaves no half-made database behind.
 */
export async function prepareDataDir(dir: string): Promise<void> {
  const versionFile = join(dir, 'PG_VERSION');
  if (existsSync(versionFile)) {
    const version = readFileSync(versionFile, 'utf8').trim();
    if (version !== EMBEDDED_POSTGRES_MAJOR) throw new EmbeddedDataVersionError(versionMessage(dir, version));
    return;
  }
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    throw new EmbeddedDataVersionError(
      `${dir} is not an embedded database (it has no PG_VERSION file): a creation cut short, or files that are not Hookline's. ` +
        'Move it aside and start again to create a new, empty one.',
    );
  }
  mkdirSync(dirname(dir), { recursive: true });
  const scratch = join(dirname(dir), `.${basename(dir)}.creating-${process.pid}`);
  rmSync(scratch, { recursive: true, force: true });
  try {
    await createInChild(scratch);
    rmSync(dir, { recursive: true, force: true }); // empty, or absent
    renameSync(scratch, dir);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Runs initdb for `dir` in a short-lived Node process (PGlite's CommonJS build: no loader needed). */
async function createInChild(dir: string): Promise<void> {
  const pgliteModule = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  const script = `const { PGlite } = require(process.argv[1]);
PGlite.create(process.argv[2]).then((pglite) => pglite.close()).catch((err) => { console.error(err && err.stack || err); process.exit(1); });`;
  try {
    await promisify(execFile)(process.execPath, ['-e', script, pgliteModule, dir], { maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    const { stderr } = err as { stderr?: string };
    throw new Error(
      `could not create the embedded database in ${dir}: ${(stderr || (err as Error).message).trim().split('\n').slice(-5).join(' ')}`,
    );
  }
}

function versionMessage(dir: string, version: string): string {
  const made = Number(version) < Number(EMBEDDED_POSTGRES_MAJOR) ? 'an older Hookline' : 'a newer Hookline';
  return (
    `the embedded database in ${dir} was made by ${made} (PostgreSQL ${version}); this Hookline embeds PostgreSQL ` +
    `${EMBEDDED_POSTGRES_MAJOR} and cannot open or upgrade it. To keep its data, go on running the Hookline release that made it ` +
    '(Hookline has no command to export embedded data). To start over with an empty database, stop Hookline and move that ' +
    `directory aside (e.g. mv ${dir} ${dir}-pg${version}); leave secret.key where it is (the moved data needs it).`
  );
}
