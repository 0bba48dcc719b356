import { newId } from '@hookline/core';
import { claimDue, type DatabaseHandle, deleteDestination, deleteSource, openDatabase, pruneOlderThan } from '@hookline/db';
import { type BackendEnv, backendEnv } from '@hookline/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Events and deliveries have no foreign keys (migration 0019: each check was a row lock on a
// hot tenant, source or destination row in every ingest). What the keys cascaded, the
// deletes and the pruner now do themselves; these tests read the tables, not the API, since
// readers join and would hide a row left behind.
describe('deletes on the tables ingest writes', () => {
  let storage: BackendEnv;
  let database: DatabaseHandle;
  const db = () => database.db;
  const tenantId = 'ten_deletes';

  beforeAll(async () => {
    storage = await backendEnv();
    database = await openDatabase({ databaseUrl: storage.env.DATABASE_URL, dataDir: storage.env.HOOKLINE_DATA_DIR as string });
    await sql`insert into tenants (id, name) values (${tenantId}, 'deletes')`.execute(db());
  });
  afterAll(async () => {
    await database?.close();
    await storage?.cleanup();
  });

  /** A source with `destinations` destinations, and `events` events delivered to each, made `at` (ms). */
  async function sourceWithHistory(name: string, { destinations = 1, events = 2, at = Date.now() } = {}) {
    const source = `src_${name}`;
    await sql`insert into sources (id, tenant_id, name, provider, ingest_key_sealed, ingest_key_hash)
      values (${source}, ${tenantId}, ${name}, 'mux', 'sealed', ${`hash-${name}`})`.execute(db());
    const destinationIds = Array.from({ length: destinations }, (_, i) => `dst_${name}_${i}`);
    for (const id of destinationIds) {
      await sql`insert into destinations (id, tenant_id, source_id, url, secret_sealed)
        values (${id}, ${tenantId}, ${source}, 'http://127.0.0.1:9/hook', 'sealed')`.execute(db());
    }
    const eventIds = Array.from({ length: events }, () => newId('event', at));
    for (const [n, id] of eventIds.entries()) {
      await sql`insert into events (id, tenant_id, source_id, type, provider, provider_event_id, provider_event_type, received_at, payload)
        values (${id}, ${tenantId}, ${source}, 'video.asset.ready', 'mux', ${`${name}-${n}`}, 'video.asset.ready', ${new Date(at)}, '{}')`.execute(
        db(),
      );
      for (const destination of destinationIds) {
        await sql`insert into deliveries (id, tenant_id, event_id, destination_id, status, next_attempt_at)
          values (${newId('delivery', at)}, ${tenantId}, ${id}, ${destination}, 'pending', now())`.execute(db());
      }
    }
    return { source, destinationIds, eventIds };
  }

  const countWhere = async (table: 'events' | 'deliveries', column: string, values: string[]) =>
    (await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)} where ${sql.ref(column)} = any(${values})`.execute(db()))
      .rows[0]?.n;

  it('deleting a source deletes its events and their deliveries, and nothing of another source', async () => {
    const gone = await sourceWithHistory('gone', { destinations: 2, events: 3 });
    const kept = await sourceWithHistory('kept');
    expect(await deleteSource(db(), tenantId, gone.source)).toBe(true);
    expect(await countWhere('events', 'id', gone.eventIds)).toBe(0);
    expect(await countWhere('deliveries', 'event_id', gone.eventIds)).toBe(0);
    expect(await countWhere('events', 'id', kept.eventIds)).toBe(2);
    expect(await countWhere('deliveries', 'event_id', kept.eventIds)).toBe(2);
  });

  it('deleting a destination deletes its deliveries and keeps the events and the other destinations’ deliveries', async () => {
    const { destinationIds, eventIds } = await sourceWithHistory('split', { destinations: 2 });
    const [removed, other] = destinationIds as [string, string];
    expect(await deleteDestination(db(), tenantId, removed)).toBe(true);
    expect(await countWhere('deliveries', 'destination_id', [removed])).toBe(0);
    expect(await countWhere('deliveries', 'destination_id', [other])).toBe(2);
    expect(await countWhere('events', 'id', eventIds)).toBe(2);
    expect(await deleteDestination(db(), tenantId, removed)).toBe(false);
  });

  it('retention takes events with their deliveries, and a delivery whose event is gone by its own age', async () => {
    const hourAgo = Date.now() - 3_600_000;
    const old = await sourceWithHistory('old', { at: hourAgo });
    const recent = await sourceWithHistory('recent');
    // A delivery left without its event: a replay made it while the pruner took the event.
    const [orphanedEvent] = old.eventIds as [string];
    await sql`delete from events where id = ${orphanedEvent}`.execute(db());
    await pruneOlderThan(db(), new Date(Date.now() - 1_800_000), 1000);
    expect(await countWhere('events', 'id', old.eventIds)).toBe(0);
    expect(await countWhere('deliveries', 'event_id', old.eventIds)).toBe(0);
    expect(await countWhere('deliveries', 'event_id', recent.eventIds)).toBe(2);
  });

  it('a claim does not lease a delivery whose event is gone', async () => {
    const { destinationIds, eventIds } = await sourceWithHistory('orphan', { events: 2 });
    const [orphaned, intact] = eventIds as [string, string];
    await sql`delete from events where id = ${orphaned}`.execute(db());
    const result = await claimDue(db(), {
      ids: [],
      destinations: destinationIds,
      limit: 10,
      leaseMs: 60_000,
      tenantAllowance: {},
      tenantMax: 10,
      breaker: { threshold: 5 },
    });
    expect(result.claimed.map((d) => d.event_id)).toEqual([intact]);
    const leased = await sql<{ event_id: string }>`select event_id from deliveries
      where destination_id = any(${destinationIds}) and locked_until is not null`.execute(db());
    expect(leased.rows.map((r) => r.event_id)).toEqual([intact]);
  });
});
