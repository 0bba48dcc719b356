import { type Kysely, sql } from 'kysely';

// Bulk replay as durable jobs (issue 13 item 4). A job holds its selection (`filter`, the
// JSON the API took), how far it has gone (`cursor`: the last delivery id handled, a keyset
// over deliveries.id) and `upto` (the first delivery id made after the job: deliveries that
// arrive later are not the job's). Each chunk redelivers and advances the cursor in one
// transaction, so a killed worker's successor resumes exactly where the last commit left.
// One worker runs a job at a time: `locked_by`/`locked_until` is its lease.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('replay_jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('filter', 'jsonb', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c.notNull().defaultTo('queued').check(sql`status in ('queued', 'running', 'succeeded', 'cancelled', 'failed')`),
    )
    .addColumn('total', 'integer', (c) => c.notNull())
    .addColumn('done', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('upto', 'text', (c) => c.notNull())
    .addColumn('cursor', 'text')
    .addColumn('error', 'text')
    .addColumn('locked_by', 'text')
    .addColumn('locked_until', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('finished_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('replay_jobs_tenant').on('replay_jobs').columns(['tenant_id', 'id']).execute();
  // What the runners poll: unfinished jobs only, least recently advanced first.
  await db.schema
    .createIndex('replay_jobs_unfinished')
    .on('replay_jobs')
    .column('updated_at')
    .where(sql.ref('status'), 'in', ['queued', 'running'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('replay_jobs').ifExists().execute();
}
