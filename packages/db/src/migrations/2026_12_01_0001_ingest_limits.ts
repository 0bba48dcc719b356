import { type Kysely, sql } from 'kysely';

/** What one stored row costs its tenant, as `tenant_usage` counts it (the same expression on insert and delete). */
const SIZE_OF = {
  requests: 'coalesce(octet_length(r.body), 0) + octet_length(r.headers::text)',
  events: 'octet_length(r.payload)',
} as const;

// Ingest limits (issue 10):
// - `rate_limited_counts`: ingest requests answered 429 are counted per subject (a source,
//   or a client address for unknown keys) and minute instead of being stored as rows.
// - `tenant_usage`: bytes each tenant stores (request bodies and headers, event payloads),
//   kept by statement-level triggers, so every path that adds or removes rows (ingest,
//   the retention pruner, a source's cascade delete) keeps it exact with no extra round
//   trip. Each connection adds to its own shard (pg_backend_pid() % 8) so concurrent
//   ingest transactions of one tenant do not queue on one row; the usage is the sum.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('rate_limited_counts')
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('minute', 'timestamptz', (c) => c.notNull())
    // No foreign keys: counts are flushed after the fact and must not fail on a source
    // deleted meanwhile; retention prunes them like everything else.
    .addColumn('tenant_id', 'text')
    .addColumn('source_id', 'text')
    .addColumn('remote_ip', 'text')
    .addColumn('count', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('rate_limited_counts_pk', ['subject', 'minute'])
    .execute();
  await db.schema.createIndex('rate_limited_counts_tenant').on('rate_limited_counts').columns(['tenant_id', 'minute']).execute();
  await db.schema.createIndex('rate_limited_counts_minute').on('rate_limited_counts').column('minute').execute();

  await db.schema
    .createTable('tenant_usage')
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('shard', 'smallint', (c) => c.notNull())
    .addColumn('stored_bytes', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('tenant_usage_pk', ['tenant_id', 'shard'])
    .execute();

  for (const [table, size] of Object.entries(SIZE_OF)) {
    for (const [op, rows, sign] of [
      ['insert', 'new_rows', '+'],
      ['delete', 'old_rows', '-'],
    ] as const) {
      const fn = `hookline_usage_${table}_${op}`;
      // The exists() guard: deleting a tenant cascades to its rows, and their usage row
      // is going too; adding to it then would violate the foreign key.
      await sql
        .raw(`
          create function ${fn}() returns trigger language plpgsql as $$
          begin
            insert into tenant_usage as u (tenant_id, shard, stored_bytes)
            select r.tenant_id, pg_backend_pid() % 8, ${sign}sum(${size})
            from ${rows} r
            where r.tenant_id is not null and exists (select 1 from tenants t where t.id = r.tenant_id)
            group by r.tenant_id
            order by r.tenant_id
            on conflict (tenant_id, shard) do update set stored_bytes = u.stored_bytes + excluded.stored_bytes;
            return null;
          end $$`)
        .execute(db);
      await sql
        .raw(
          `create trigger ${fn} after ${op} on ${table} referencing ${op === 'insert' ? 'new' : 'old'} table as ${rows} for each statement execute function ${fn}()`,
        )
        .execute(db);
    }
  }

  // What is already stored counts from the start.
  for (const [table, size] of Object.entries(SIZE_OF)) {
    await sql
      .raw(`
        insert into tenant_usage as u (tenant_id, shard, stored_bytes)
        select r.tenant_id, 0, sum(${size}) from ${table} r where r.tenant_id is not null group by r.tenant_id
        on conflict (tenant_id, shard) do update set stored_bytes = u.stored_bytes + excluded.stored_bytes`)
      .execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of Object.keys(SIZE_OF)) {
    for (const op of ['insert', 'delete']) {
      await sql.raw(`drop trigger if exists hookline_usage_${table}_${op} on ${table}`).execute(db);
      await sql.raw(`drop function if exists hookline_usage_${table}_${op}()`).execute(db);
    }
  }
  await db.schema.dropTable('tenant_usage').ifExists().execute();
  await db.schema.dropTable('rate_limited_counts').ifExists().execute();
}
