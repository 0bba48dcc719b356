import { type Kysely, sql } from 'kysely';

// The hot path (issue 11):
// - `sources.config_version` changes with every change to a source or to one of its
//   destinations (triggers, so no writer can forget). Ingest caches a source and its
//   destinations in process and writes only if the version it routed with is still current,
//   in the same statement; a stale cache costs a re-read, never a wrong fan-out.
// - No foreign keys on the append-only tables (requests, attempts, stream_entries): each
//   check took a shared lock on the same hot tenant and source rows in every concurrent
//   ingest statement. What they cascaded is now done by the source delete and the pruner;
//   readers join, so a row left behind shows nowhere.
// - Pruning goes by id (ids are time-sorted ULIDs) and, for stream entries, by sequence
//   checkpoints, so the received_at and created_at indexes are dropped.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('sources')
    .addColumn('config_version', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
  await sql`
    create function hookline_source_changed() returns trigger language plpgsql as $$
    begin
      new.config_version := old.config_version + 1;
      return new;
    end $$`.execute(db);
  await sql`
    create trigger hookline_source_changed before update on sources
    for each row when (old.* is distinct from new.*) execute function hookline_source_changed()`.execute(db);
  await sql`
    create function hookline_destination_changed() returns trigger language plpgsql as $$
    begin
      update sources set config_version = config_version + 1
      where id in (select source_id from changed_rows) ;
      return null;
    end $$`.execute(db);
  for (const op of ['insert', 'update', 'delete'] as const) {
    const rows = op === 'delete' ? 'old' : 'new';
    await sql
      .raw(
        `create trigger hookline_destination_${op} after ${op} on destinations referencing ${rows} table as changed_rows
         for each statement execute function hookline_destination_changed()`,
      )
      .execute(db);
  }

  for (const [table, columns] of [
    ['requests', ['tenant_id', 'source_id']],
    ['attempts', ['tenant_id', 'delivery_id']],
    ['stream_entries', ['tenant_id', 'source_id']],
  ] as const) {
    for (const column of columns) {
      await sql.raw(`alter table ${table} drop constraint if exists ${table}_${column}_fkey`).execute(db);
    }
  }

  await db.schema.dropIndex('requests_received').ifExists().execute();
  await db.schema.dropIndex('events_received').ifExists().execute();
  await db.schema.dropIndex('stream_entries_created').ifExists().execute();
  await db.schema
    .createTable('stream_checkpoints')
    .addColumn('at', 'timestamptz', (c) => c.primaryKey())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('stream_checkpoints').ifExists().execute();
  await db.schema.createIndex('stream_entries_created').on('stream_entries').column('created_at').execute();
  await db.schema.createIndex('events_received').on('events').column('received_at').execute();
  await db.schema.createIndex('requests_received').on('requests').column('received_at').execute();
  for (const op of ['insert', 'update', 'delete']) await sql.raw(`drop trigger hookline_destination_${op} on destinations`).execute(db);
  await sql`drop trigger hookline_source_changed on sources`.execute(db);
  await sql`drop function hookline_destination_changed()`.execute(db);
  await sql`drop function hookline_source_changed()`.execute(db);
  await db.schema.alterTable('sources').dropColumn('config_version').execute();
}
