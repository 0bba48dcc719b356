import { type Kysely, sql } from 'kysely';

// The rest of what 0004 began (issue 11): no foreign keys on the tables every event writes.
// Each inserted event and delivery ran five foreign-key checks, and each tenant_usage upsert
// one, every one a row lock (FOR KEY SHARE) on the same hot tenant, source and destination
// rows, shared by every concurrent ingest, claim and record transaction: a WAL record per
// lock, and a MultiXact whenever two transactions held one at once.
//
// What the keys cascaded is now deleted by the deletes themselves (sources, destinations) and
// by the pruner. What they guarded against, a write landing beside a delete, the ingest
// statement guards against with one share lock per source and batch (repositories/ingest.ts).
// A delivery whose event the pruner took while a replay made it is never leased
// (repositories/scheduler.ts) and goes by its own age. No code deletes a tenant.
const DROPPED = [
  ['events', 'tenant_id', 'tenants'],
  ['events', 'source_id', 'sources'],
  ['deliveries', 'tenant_id', 'tenants'],
  ['deliveries', 'event_id', 'events'],
  ['deliveries', 'destination_id', 'destinations'],
  ['tenant_usage', 'tenant_id', 'tenants'],
] as const;

export async function up(db: Kysely<any>): Promise<void> {
  for (const [table, column] of DROPPED) {
    await sql.raw(`alter table ${table} drop constraint if exists ${table}_${column}_fkey`).execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const [table, column, parent] of DROPPED) {
    await sql
      .raw(
        `alter table ${table} add constraint ${table}_${column}_fkey foreign key (${column}) references ${parent} (id) on delete cascade not valid`,
      )
      .execute(db);
  }
}
