import { type DatabaseHandle, storeIngestBatch } from '@hookline/db';
import { eventually, testBackend } from '@hookline/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptedWrite } from './ingest-write.ts';
import { type RaceFixture, raceFixture } from './race-fixture.ts';

// Events and deliveries have no foreign keys (migration 0019). What keeps a write routed
// with a cached source from landing beside a delete of that source's destination is the
// ingest statement's share lock on the source (repositories/ingest.ts): it waits for the
// delete's transaction, then reads the source's new config_version and hands the write back
// as stale, to be routed again. PostgreSQL only: embedded storage is one connection, where
// no statement can interleave with another transaction.
describe.skipIf(testBackend() !== 'postgres')('an ingest write racing a destination delete', () => {
  let fixture: RaceFixture;
  let first: DatabaseHandle;
  let second: DatabaseHandle;

  beforeAll(async () => {
    fixture = await raceFixture();
    ({ first, second } = fixture);
  });
  afterAll(async () => {
    await fixture?.close();
  });

  /** A write routed with the source as it was cached: its config_version, and a delivery to its destination. */
  const routedWrite = (configVersion: string) =>
    acceptedWrite({ tenantId: 'ten_race', sourceId: 'src_race', destinations: ['dst_race'], configVersion });

  it('waits for the delete, then is refused as stale: no delivery to the deleted destination', async () => {
    const { rows } = await sql<{ v: string }>`select config_version::text as v from sources where id = 'src_race'`.execute(first.db);
    const cached = rows[0]?.v as string;
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    // The delete, as deleteDestination makes it, stays open...
    let deleted = false;
    const deleteDone = first.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('destinations').where('id', '=', 'dst_race').execute();
      await trx.deleteFrom('deliveries').where('destination_id', '=', 'dst_race').execute();
      deleted = true;
      await held;
    });
    await eventually(async () => deleted);
    // ...while a write routed before it arrives on another connection, and waits for it.
    const ingestDone = storeIngestBatch(second.db, [routedWrite(cached)]);
    try {
      await eventually(async () => {
        const { rows } = await sql<{ waiting: number }>`select count(*)::int as waiting from pg_stat_activity
          where datname = current_database() and wait_event_type = 'Lock'`.execute(first.db);
        return rows[0]?.waiting === 1;
      });
    } finally {
      release();
      await deleteDone;
    }
    const [result] = await ingestDone;

    expect(result).toMatchObject({ stale: true, deliveries: [] });
    const left = await sql<{ n: number }>`select count(*)::int as n from deliveries where destination_id = 'dst_race'`.execute(first.db);
    expect(left.rows[0]?.n).toBe(0);
  });
});
