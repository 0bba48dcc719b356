import { type Kysely, sql } from 'kysely';

/**
 * The field-search index (GIN, migration 0011) takes new events into a pending list, which
 * the insert that fills it merges into the index proper: with PostgreSQL's default of 4 MB
 * that is a few thousand events merged at once, tens of milliseconds added to one ingest
 * batch (its requests' p99). 256 kB merges a sixteenth as much sixteen times as often: the
 * same work, in slices too small to show (PGlite: the slowest of 3,000 ten-event batches
 * took 14 ms instead of 38 ms; the bench's paced ingest p99, two runs each: scale 42 and
 * 35 ms instead of 50 and 37, embedded 54 and 45 instead of 65 and 67).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter index events_payload_search set (gin_pending_list_limit = 256)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter index events_payload_search reset (gin_pending_list_limit)`.execute(db);
}
