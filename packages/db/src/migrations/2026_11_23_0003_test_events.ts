import type { Kysely } from 'kysely';

// Test events sent from the dashboard have no provider request behind them.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('events')
    .alterColumn('request_id', (c) => c.dropNotNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('events')
    .alterColumn('request_id', (c) => c.setNotNull())
    .execute();
}
