import type { SecretBox } from '@hookline/core';
import { type Kysely, sql } from 'kysely';
import type { Db } from './database.ts';

/**
 * The half of migration 2026_12_01_0002_ingest_key_hash that needs HOOKLINE_SECRET_KEY, run at
 * start-up right after migrations: seals the ingest keys that older releases stored in
 * plaintext, then drops the plaintext column. Returns how many keys it sealed.
 *
 * Idempotent (once the column is gone it only checks that it is gone), and safe when several
 * processes start at once: the table lock makes the others wait, and they then find nothing
 * left to do.
 */
export async function sealPlaintextIngestKeys(db: Db, secrets: Pick<SecretBox, 'seal'>): Promise<number> {
  if (!(await hasPlaintextColumn(db))) return 0;
  return db.transaction().execute(async (trx) => {
    await sql`lock table sources in access exclusive mode`.execute(trx);
    if (!(await hasPlaintextColumn(trx))) return 0;
    const { rows } = await sql<{ id: string; ingest_key: string }>`
      select id, ingest_key from sources where ingest_key is not null`.execute(trx);
    for (const row of rows) {
      // Nulled as well as dropped: dropping a column leaves its bytes in the live rows.
      await sql`update sources set ingest_key_sealed = ${secrets.seal(row.ingest_key)}, ingest_key = null where id = ${row.id}`.execute(
        trx,
      );
    }
    await sql`alter table sources alter column ingest_key_sealed set not null, drop column ingest_key`.execute(trx);
    return rows.length;
  });
}

async function hasPlaintextColumn(db: Kysely<any>): Promise<boolean> {
  const { rows } = await sql`
    select 1 from information_schema.columns
    where table_schema = current_schema() and table_name = 'sources' and column_name = 'ingest_key'`.execute(db);
  return rows.length > 0;
}
