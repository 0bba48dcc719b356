import { type Kysely, sql } from 'kysely';

// Invites let a new tenant sign up while HOOKLINE_SIGNUP=closed. Only a SHA-256 of the token
// is kept (the token carries 192 random bits, like an API key); a token is used once, before
// it expires. tenant_id is who invited (null: the admin command).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('invites')
    .ifNotExists()
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('used_at', 'timestamptz')
    .addColumn('used_by_tenant_id', 'text')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('invites').ifExists().execute();
}
