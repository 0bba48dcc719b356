import type { SecretBox } from '@hookline/core';
import { type Kysely, sql } from 'kysely';
import type { Db } from './database.ts';

export interface ResealedColumn {
  table: string;
  column: string;
  /** Values re-sealed with the current key. */
  resealed: number;
  /** Values the current key had sealed already. */
  current: number;
}

const BATCH = 500;

/**
 * The last step of a HOOKLINE_SECRET_KEY rotation (`npm run admin -- reseal`): every sealed
 * value that the current key did not seal is opened (with HOOKLINE_SECRET_KEY_PREVIOUS) and
 * sealed again with the current key, so the previous key can then be dropped.
 *
 * Sealed values live in columns named `*_sealed` (the convention every table follows), found
 * in the schema rather than listed here, so a new one cannot be missed. Each update applies
 * only if the value is still the one read, so a tenant changing a secret meanwhile wins; the
 * plaintext does not change, so nothing cached from it goes stale. Safe to run again.
 */
export async function resealSecrets(db: Db, secrets: Pick<SecretBox, 'open' | 'seal' | 'sealedWithCurrentKey'>): Promise<ResealedColumn[]> {
  const { rows: columns } = await sql<{ table: string; column: string }>`
    select table_name as table, column_name as column from information_schema.columns
    where table_schema = current_schema() and column_name like '%\\_sealed'
    order by table_name, column_name`.execute(db);
  const done: ResealedColumn[] = [];
  for (const { table, column } of columns) done.push(await resealColumn(db, table, column, secrets));
  return done;
}

async function resealColumn(
  db: Kysely<any>,
  table: string,
  column: string,
  secrets: Pick<SecretBox, 'open' | 'seal' | 'sealedWithCurrentKey'>,
): Promise<ResealedColumn> {
  const result: ResealedColumn = { table, column, resealed: 0, current: 0 };
  const t = sql.table(table);
  const c = sql.ref(column);
  for (let after = ''; ; ) {
    const { rows } = await sql<{ id: string; value: string }>`
      select id, ${c} as value from ${t} where ${c} is not null and id > ${after} order by id limit ${BATCH}`.execute(db);
    for (const { id, value } of rows) {
      if (secrets.sealedWithCurrentKey(value)) {
        result.current++;
        continue;
      }
      // Opens with the previous key, or throws: then that key is missing or wrong, and the
      // operator must not drop it yet.
      const resealed = secrets.seal(secrets.open(value));
      await sql`update ${t} set ${c} = ${resealed} where id = ${id} and ${c} = ${value}`.execute(db);
      result.resealed++;
    }
    if (rows.length < BATCH) return result;
    after = (rows.at(-1) as { id: string }).id;
  }
}
