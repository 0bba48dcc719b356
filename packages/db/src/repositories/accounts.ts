import { sql } from 'kysely';
import type { Db } from '../database.ts';

export interface LoginThrottleRules {
  /** Failures before the account is locked. */
  maxFailures: number;
  /** Failures older than this (since the last one) are forgotten. */
  windowMs: number;
  /** How long the lock lasts once `failures` (≥ maxFailures) have been counted. */
  lockMs(failures: number): number;
}

/** Rows past their window deleted by each attempt, so rows for typed-in emails do not pile up. */
const PRUNE_PER_ATTEMPT = 10;

/**
 * Counts a login attempt for an account before its password is checked, so concurrent
 * guesses from any number of processes cannot get past the limit: at most `maxFailures`
 * passwords are checked per lock. The attempt that reaches the limit sets the lock; if it
 * turns out right, `clearLoginFailures` lifts it. Answers how long to wait when locked.
 */
export async function admitLoginAttempt(
  db: Db,
  emailHash: string,
  rules: LoginThrottleRules,
): Promise<{ retryAfterMs: number } | undefined> {
  return db.transaction().execute(async (trx) => {
    await trx
      .insertInto('login_failures')
      .values({ email_hash: emailHash, failures: 0 })
      .onConflict((c) => c.doNothing())
      .execute();
    const row = await trx
      .selectFrom('login_failures')
      .select(['failures', 'last_failed_at', 'locked_until', sql<Date>`now()`.as('now')])
      .where('email_hash', '=', emailHash)
      .forUpdate()
      .executeTakeFirstOrThrow();
    const now = row.now.getTime();
    if (row.locked_until && row.locked_until.getTime() > now) return { retryAfterMs: row.locked_until.getTime() - now };
    const failures = now - row.last_failed_at.getTime() > rules.windowMs ? 1 : row.failures + 1;
    const lockedUntil = failures >= rules.maxFailures ? new Date(now + rules.lockMs(failures)) : null;
    await trx
      .updateTable('login_failures')
      .set({ failures, last_failed_at: new Date(now), locked_until: lockedUntil })
      .where('email_hash', '=', emailHash)
      .execute();
    await trx
      .deleteFrom('login_failures')
      .where(
        'email_hash',
        'in',
        trx
          .selectFrom('login_failures')
          .select('email_hash')
          .where('last_failed_at', '<', new Date(now - rules.windowMs))
          .where((w) => w.or([w('locked_until', 'is', null), w('locked_until', '<', new Date(now))]))
          .orderBy('last_failed_at')
          .limit(PRUNE_PER_ATTEMPT),
      )
      .execute();
    return undefined;
  });
}

/** A right password: the account's failures are forgotten. */
export async function clearLoginFailures(db: Db, emailHash: string): Promise<void> {
  await db.deleteFrom('login_failures').where('email_hash', '=', emailHash).execute();
}

export function findUser(db: Db, id: string) {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * Sets a user's password hash and ends every other session of that user (a changed
 * password must shut out whoever else was logged in); answers how many were ended.
 */
export async function changePassword(db: Db, userId: string, passwordHash: string, keepSessionTokenHash: string): Promise<number> {
  return db.transaction().execute(async (trx) => {
    await trx.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', userId).execute();
    const ended = await trx
      .deleteFrom('sessions')
      .where('user_id', '=', userId)
      .where('token_hash', '!=', keepSessionTokenHash)
      .executeTakeFirst();
    return Number(ended.numDeletedRows);
  });
}
