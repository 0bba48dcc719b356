import { type Kysely, sql } from 'kysely';

/**
 * No planner statistics for the columns no query filters on by value: bodies, payloads,
 * headers, excerpts, and the search index's expression. Gathering them was most of what an
 * ANALYZE of these tables costs: for the search index PostgreSQL parses every sampled
 * payload again as jsonb (about half a second for `events` at 30,000 sampled rows), and
 * table upkeep analyzes each hot table every time it doubles (and autovacuum as it grows),
 * which showed as a dip of a fifth in the bench's throughput a few seconds into a run.
 * Searches go through the index as before (PostgreSQL's default selectivity for `@@`).
 */
const COLUMNS: [table: string, column: string][] = [
  ['events', 'payload'],
  ['requests', 'headers'],
  ['requests', 'body'],
  ['requests', 'detail'],
  ['attempts', 'response_excerpt'],
];

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter index events_payload_search alter column 1 set statistics 0`.execute(db);
  for (const [table, column] of COLUMNS) {
    await sql`alter table ${sql.table(table)} alter column ${sql.ref(column)} set statistics 0`.execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter index events_payload_search alter column 1 set statistics -1`.execute(db);
  for (const [table, column] of COLUMNS) {
    await sql`alter table ${sql.table(table)} alter column ${sql.ref(column)} set statistics -1`.execute(db);
  }
}
