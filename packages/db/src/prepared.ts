/**
 * Starts the hot path's big statements (a batch's ingest, its claim, its attempt records):
 * each connection runs them as named statements, parsed once (database.ts
 * prepareMarkedStatements on PostgreSQL, pglite-thread.ts on PGlite).
 */
export const PREPARED = '/* prepared */';
