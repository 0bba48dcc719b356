import { type Kysely, sql } from 'kysely';

// Ingest keys are bearer secrets in a URL: the database keeps their SHA-256 (the lookup) and
// a sealed copy (to show the tenant its URL), never the key itself.
//
// Sealing needs HOOKLINE_SECRET_KEY, which migrations do not have, so this migration does the
// half SQL can do: it hashes the existing keys (PostgreSQL and PGlite both have sha256()) and
// leaves `sources.ingest_key` in place, nullable, for the start-up step
// (sealPlaintextIngestKeys in packages/db/src/seal-ingest-keys.ts) to seal and then drop.
// Ingest already works in between: it looks sources up by hash, so a URL pasted into a
// provider before the upgrade keeps working.
//
// The request log needs no key at all: a known key's requests name their source, and an
// unknown key keeps only its first characters (ingestKeyHint in packages/core).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('sources').addColumn('ingest_key_hash', 'text').addColumn('ingest_key_sealed', 'text').execute();
  await sql`update sources set ingest_key_hash = encode(sha256(convert_to(ingest_key, 'UTF8')), 'hex')`.execute(db);
  await db.schema
    .alterTable('sources')
    .alterColumn('ingest_key_hash', (c) => c.setNotNull())
    .execute();
  await db.schema.createIndex('sources_ingest_key_hash').on('sources').column('ingest_key_hash').unique().execute();
  // New sources store no plaintext; the start-up step seals and drops the old ones.
  await db.schema
    .alterTable('sources')
    .alterColumn('ingest_key', (c) => c.dropNotNull())
    .execute();

  await db.schema.alterTable('requests').addColumn('ingest_key_hint', 'text').execute();
  await sql`update requests set ingest_key_hint = left(ingest_key, 6) where source_id is null`.execute(db);
  await db.schema.alterTable('requests').dropColumn('ingest_key').execute();
}

export async function down(): Promise<void> {
  // The plaintext keys are gone once the start-up step has run; only a backup brings them back.
  throw new Error('2026_12_01_0002_ingest_key_hash cannot be undone: the plaintext ingest keys are no longer stored');
}
