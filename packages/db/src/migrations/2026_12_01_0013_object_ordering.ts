import { type Kysely, sql } from 'kysely';

/**
 * Ordered delivery per object (issue 14, CONTRACT §8: a destination's `ordering: "object"`).
 * Its deliveries carry `object_key` (migration 0007) and now `occurred_at`: the event's
 * occurred_at (its received_at when the provider gives none), copied at fan-out, so the
 * order of an object's deliveries is (occurred_at, id) without reading events. Both stay
 * null for destinations that do not order: the index below leaves those rows out, so
 * unordered deliveries cost it nothing.
 *
 * The index answers, per (destination, object), "is an earlier one unfinished or one in
 * flight" (status pending/held, before this one) for the claim's gate and the API's computed
 * hold, and "was a later one already delivered" (status succeeded, after this one) for the
 * out-of-order flag: each is a range of it.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('deliveries').addColumn('occurred_at', 'timestamptz').execute();
  await db.schema
    .createIndex('deliveries_object_order')
    .on('deliveries')
    .columns(['destination_id', 'object_key', 'status', 'occurred_at', 'id'])
    .where(sql.ref('object_key'), 'is not', null)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('deliveries_object_order').ifExists().execute();
  await db.schema.alterTable('deliveries').dropColumn('occurred_at').execute();
}
