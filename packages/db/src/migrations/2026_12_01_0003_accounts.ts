import { type Kysely, sql } from 'kysely';

// Failed logins per account, shared by every API process, so a lockout holds across them.
// Keyed by a digest of the lowercased email (the row exists for unknown emails too: the
// answer must not tell whether an account exists, and typed emails are not kept in clear).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('login_failures')
    .addColumn('email_hash', 'text', (c) => c.primaryKey())
    .addColumn('failures', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_failed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('locked_until', 'timestamptz')
    .execute();
  // Stale rows are deleted a few at a time by later attempts, oldest first.
  await db.schema.createIndex('login_failures_last_failed').on('login_failures').column('last_failed_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('login_failures').ifExists().execute();
}
