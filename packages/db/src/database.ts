import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { migrateToLatest } from './migrate.ts';
import { PGliteDialect } from './pglite-dialect.ts';
import type { Database } from './tables.ts';

export type Db = Kysely<Database>;

export interface DatabaseOptions {
  /** `postgres://…` for PostgreSQL; unset for embedded PGlite. */
  databaseUrl?: string | undefined;
  /** Where PGlite keeps its files when embedded. */
  dataDir: string;
  /** Pool size for PostgreSQL. */
  poolSize?: number;
  migrate?: boolean;
}

export interface DatabaseHandle {
  db: Db;
  kind: 'postgres' | 'pglite';
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
    pool.on('connect', (client) => client.on('error', () => {}));
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    handle = { db, kind: 'postgres', close: () => db.destroy() };
  } else {
    const { PGlite } = await import('@electric-sql/pglite');
    const dir = join(options.dataDir, 'pglite');
    mkdirSync(dir, { recursive: true });
    const pglite = new PGlite(dir);
    const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
    handle = { db, kind: 'pglite', close: () => db.destroy() };
  }
  if (options.migrate !== false) await migrateToLatest(handle.db);
  return handle;
}

export async function pingDatabase(db: Db): Promise<void> {
  await sql`select 1`.execute(db);
}
