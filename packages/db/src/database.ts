import { join } from 'node:path';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { migrateToLatest } from './migrate.ts';
import { DEFAULT_PGLITE_SHARED_BUFFERS, pgliteSettings, prepareDataDir } from './pglite-data-dir.ts';
import { PGliteDialect } from './pglite-dialect.ts';
import { PGliteThread } from './pglite-thread.ts';
import { PREPARED, PreparedNames } from './prepared.ts';
import type { Database } from './tables.ts';

export { PREPARED };

export type Db = Kysely<Database>;

export interface DatabaseOptions {
  /** `postgres://…` for PostgreSQL; unset for embedded PGlite. */
  databaseUrl?: string | undefined;
  /** Where PGlite keeps its files when embedded. */
  dataDir: string;
  /** Pool size for PostgreSQL. */
  poolSize?: number;
  /** PGlite's shared_buffers in bytes (HOOKLINE_PGLITE_SHARED_BUFFERS; default 16 MB). */
  pgliteSharedBuffers?: number;
  migrate?: boolean;
}

export interface DatabaseHandle {
  db: Db;
  kind: 'postgres' | 'pglite';
  /** PostgreSQL's connection pool right now (for the metrics); absent on PGlite. */
  pool?: () => { total: number; idle: number; waiting: number };
  close(): Promise<void>;
}

/** Opens the database the configuration names and (by default) migrates it to the latest schema. */
export async function openDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  let handle: DatabaseHandle;
  if (options.databaseUrl) {
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: options.poolSize ?? 20 });
    // A client losing its server must not crash the process: the pool's own listener covers
    // idle clients only, and a client checked out between two statements of a transaction
    // would otherwise emit an unhandled 'error'. The query in flight fails (ingest answers
    // 503), the pool drops the client, and the next query reconnects.
    pool.on('error', () => {});
    pool.on('connect', (client) => {
      client.on('error', () => {});
      prepareMarkedStatements(client);
    });
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    const stats = () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount });
    handle = { db, kind: 'postgres', pool: stats, close: () => db.destroy() };
  } else {
    const dir = join(options.dataDir, 'pglite');
    await prepareDataDir(dir);
    const pglite = new PGliteThread(dir, pgliteSettings(options.pgliteSharedBuffers ?? DEFAULT_PGLITE_SHARED_BUFFERS));
    const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
    handle = { db, kind: 'pglite', close: () => db.destroy() };
  }
  if (options.migrate !== false) await migrateToLatest(handle.db);
  return handle;
}

/**
 * The hot path's big statements (a batch's ingest, its attempt records) start with
 * PREPARED: this client then runs them as named prepared statements, parsed once per
 * name (PreparedNames), and PostgreSQL soon settles on a generic plan and stops planning
 * them (about a third of a small batch's cost). Kysely has no way to name a statement,
 * hence the wrapper. A replaced name is left to the connection's end: at most a few dozen
 * per statement.
 */
function prepareMarkedStatements(client: pg.PoolClient): void {
  const names = new PreparedNames();
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as { query: unknown }).query = (text: unknown, values?: unknown, callback?: unknown) => {
    if (typeof text !== 'string' || !text.startsWith(PREPARED)) return query(text, values, callback);
    return query({ name: names.next(text).name, text, values }, callback);
  };
}

export async function pingDatabase(db: Db): Promise<void> {
  await sql`select 1`.execute(db);
}
