import { sql } from 'kysely';
import type { Db } from '../database.ts';

export async function insertSession(
  db: Db,
  session: { id: string; tenant_id: string; user_id: string; token_hash: string; expires_at: Date },
) {
  await db.insertInto('sessions').values(session).execute();
}

/** The unexpired session with this token hash, with its user's email. */
export function findSessionByTokenHash(db: Db, tokenHash: string) {
  return db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select(['sessions.id', 'sessions.tenant_id', 'sessions.user_id', 'users.email'])
    .where('sessions.token_hash', '=', tokenHash)
    .where('sessions.expires_at', '>', sql<Date>`now()`)
    .executeTakeFirst();
}

export async function deleteSession(db: Db, tokenHash: string) {
  await db.deleteFrom('sessions').where('token_hash', '=', tokenHash).execute();
}
