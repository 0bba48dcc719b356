import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .execute();

  // The live stream's log: one row per request, event and attempt, written in the same
  // transaction as the thing it announces. `xid` is the writing transaction's id: readers
  // only take rows from transactions older than every transaction still running, so a
  // cursor on (xid, seq) never skips a row that commits late. See repositories/stream.ts.
  await db.schema
    .createTable('stream_entries')
    .addColumn('seq', 'bigserial', (c) => c.primaryKey())
    .addColumn('xid', sql`xid8`, (c) => c.notNull().defaultTo(sql`pg_current_xact_id()`))
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('source_id', 'text', (c) => c.references('sources.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('ref_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('stream_entries_tenant').on('stream_entries').columns(['tenant_id', 'xid', 'seq']).execute();
  await db.schema.createIndex('stream_entries_created').on('stream_entries').column('created_at').execute();

  // Retention prunes by age.
  await db.schema.createIndex('requests_received').on('requests').column('received_at').execute();
  await db.schema.createIndex('events_received').on('events').column('received_at').execute();
  // Resume after pause, and the per-destination views.
  await db.schema.createIndex('deliveries_destination').on('deliveries').columns(['destination_id', 'status']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('stream_entries').ifExists().execute();
  await db.schema.dropTable('sessions').ifExists().execute();
}
